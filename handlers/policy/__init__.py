"""Policy answers with citations, and policy cascades to every vendor team with acknowledgement."""
