"""Use cases that span packages (records, eligibility, credentials): each is one thing a person
does, such as nominating someone for a role and approving the nomination."""
