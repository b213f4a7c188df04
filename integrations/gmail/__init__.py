"""Gmail: send mail as a staff member through users.messages.send. The token comes from the
member's Gmail connection (integrations.connections, provider "gmail")."""
