"""Training cohorts: plans laid onto a site's working days, and the calendar file (issue 13)."""
