"""newsdesk service: retrieval-grounded answers, summaries and briefings with checked citations."""
