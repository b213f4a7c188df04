"""The upload pipeline shared by public application forms and staff attachments.

Every file goes: detect the type from its bytes (detect) -> check it against the allowlist and
caps -> strip image metadata (images) -> store under a random name with its SHA-256 (storage)
-> scan with clamd over INSTREAM (clamd) -> pending becomes clean, infected or error (services).
Nothing can be downloaded before it is clean. It lives inside forms_public rather than in an app
of its own because it has no pages or settings of its own: it is a library with one model.
"""
