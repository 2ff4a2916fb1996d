"""A local stand-in for Slack: a Web API fake that tests and the browser workspace can talk to."""
