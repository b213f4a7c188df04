"""Gmail: send mail as a staff member through users.messages.send (the OAuth connection that
fills GmailConnection.access_token lands with its own issue; until then tokens are set by ops or tests)."""
