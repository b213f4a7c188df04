"""Model fields whose values are stored as MultiFernet ciphertext."""
import datetime

from django.db import models

from tenants import pii


class EncryptedTextField(models.TextField):
    """Plain str in Python, Fernet token in the database. Not searchable: pair with a lookup hash."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return self.from_plaintext(pii.decrypt(value))

    def get_prep_value(self, value):
        if value is None or value == "":
            return value
        return pii.encrypt(self.to_plaintext(value))

    def from_plaintext(self, text):
        return text

    def to_plaintext(self, value):
        return str(value)


class EncryptedDateField(EncryptedTextField):
    """A date, encrypted as its ISO string."""

    def from_plaintext(self, text):
        return datetime.date.fromisoformat(text)

    def to_plaintext(self, value):
        return self.to_python(value).isoformat()

    def to_python(self, value):
        if value in (None, "") or isinstance(value, datetime.date):
            return value
        return datetime.date.fromisoformat(value)

    def formfield(self, **kwargs):
        from django import forms

        return forms.DateField(**{"required": not self.blank, **kwargs})
