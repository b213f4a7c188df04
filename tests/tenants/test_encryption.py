"""PII at rest: ciphertext in the database, plaintext through the ORM, rotatable keys, keyed lookup hashes."""
import datetime

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.db import connection
from django.test import override_settings

from surrogates import services
from surrogates.models import Surrogate
from tenants import pii
from tenants.models import Role
from tenants.scope import org_scope

pytestmark = pytest.mark.postgres

EMAIL = "Maya.Planted@Example.com"
PHONE = "+1 (555) 010-2000"
DOB = datetime.date(1991, 4, 17)


@pytest.fixture
def surrogate(world):
    with org_scope(world.org_a):
        return services.surrogate_create(
            membership=world.member(world.org_a, Role.ADMIN),
            full_name="Maya Planted",
            email=EMAIL,
            phone=PHONE,
            date_of_birth=DOB,
        )


def _raw(pk):
    with connection.cursor() as cursor:
        cursor.execute("SELECT email, phone, date_of_birth, email_hash, phone_hash FROM surrogates_surrogate WHERE id = %s", [pk])
        return cursor.fetchone()


def test_raw_sql_returns_fernet_ciphertext_not_plaintext(surrogate):
    email, phone, dob, email_hash, phone_hash = _raw(surrogate.pk)
    for stored, plain in ((email, EMAIL), (phone, PHONE), (dob, DOB.isoformat())):
        assert isinstance(stored, str)
        assert stored.startswith("gAAAA")
        assert plain not in stored and plain.lower() not in stored.lower()
    assert "5550102000" not in phone
    # The lookup hashes do not reveal the value either.
    assert EMAIL.lower() not in email_hash and len(email_hash) == 64
    assert "5550102000" not in phone_hash


def test_same_value_encrypts_differently_each_time(world, surrogate):
    with org_scope(world.org_a):
        other = services.surrogate_create(
            membership=world.member(world.org_a, Role.ADMIN), full_name="Twin", phone=PHONE
        )
    assert _raw(surrogate.pk)[1] != _raw(other.pk)[1]


def test_orm_returns_plaintext(world, surrogate):
    with org_scope(world.org_a):
        fresh = Surrogate.objects.get(pk=surrogate.pk)
    assert fresh.email == EMAIL
    assert fresh.phone == PHONE
    assert fresh.date_of_birth == DOB


def test_empty_values_stay_empty(world):
    with org_scope(world.org_a):
        bare = services.surrogate_create(membership=world.member(world.org_a, Role.ADMIN), full_name="Bare")
        fresh = Surrogate.objects.get(pk=bare.pk)
    assert (fresh.email, fresh.phone, fresh.date_of_birth) == ("", "", None)
    assert _raw(bare.pk)[:2] == ("", "")


def test_old_rows_still_decrypt_after_a_new_key_is_added(world, surrogate):
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    new = Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[new, old]), org_scope(world.org_a):
        fresh = Surrogate.objects.get(pk=surrogate.pk)
        assert (fresh.email, fresh.phone, fresh.date_of_birth) == (EMAIL, PHONE, DOB)


def test_rotate_reencrypts_under_the_new_key(world, surrogate):
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    new = Fernet.generate_key().decode()
    email_token = _raw(surrogate.pk)[0]
    with override_settings(FIELD_ENCRYPTION_KEYS=[new, old]):
        rotated = pii.rotate(email_token)
        assert rotated != email_token
        assert pii.decrypt(rotated) == EMAIL
    # Only the new key left: the rotated token decrypts, the original does not.
    with override_settings(FIELD_ENCRYPTION_KEYS=[new]):
        assert pii.decrypt(rotated) == EMAIL
        with pytest.raises(ValueError):
            pii.decrypt(email_token)
    assert Fernet(new.encode()).decrypt(rotated.encode()).decode() == EMAIL


def test_saving_under_new_keys_writes_new_key_ciphertext(world, surrogate):
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    new = Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[new, old]), org_scope(world.org_a):
        fresh = Surrogate.objects.get(pk=surrogate.pk)
        fresh.save()
    with override_settings(FIELD_ENCRYPTION_KEYS=[new]), org_scope(world.org_a):
        assert Surrogate.objects.get(pk=surrogate.pk).phone == PHONE


def test_unknown_key_fails_loudly_rather_than_returning_garbage(world, surrogate):
    with override_settings(FIELD_ENCRYPTION_KEYS=[Fernet.generate_key().decode()]), org_scope(world.org_a):
        with pytest.raises(ValueError):
            Surrogate.objects.get(pk=surrogate.pk)


@pytest.mark.parametrize(
    "variant, canonical",
    [("  A@B.com ", "a@b.com"), ("MAYA.PLANTED@EXAMPLE.COM", EMAIL)],
)
def test_email_lookup_hash_matches_normalised_variants(variant, canonical):
    assert pii.email_hash(variant) == pii.email_hash(canonical) != ""


@pytest.mark.parametrize("variant", ["+1 (555) 010-2000", "+15550102000", " +1-555-010-2000 ", "+1.555.010.2000"])
def test_phone_lookup_hash_matches_normalised_variants(variant):
    assert pii.phone_hash(variant) == pii.phone_hash("+15550102000") != ""


def test_different_values_hash_differently_and_empty_hashes_to_nothing():
    assert pii.email_hash("a@b.com") != pii.email_hash("a@c.com")
    assert pii.phone_hash("+15550102000") != pii.phone_hash("+15550102001")
    # Email and phone hashes are domain-separated.
    assert pii.lookup_hash("email", "x") != pii.lookup_hash("phone", "x")
    assert pii.email_hash("   ") == "" and pii.phone_hash("") == ""


def test_lookup_hash_is_keyed():
    first = pii.email_hash("a@b.com")
    with override_settings(PII_LOOKUP_HASH_KEY="another-key-entirely-0123456789"):
        assert pii.email_hash("a@b.com") != first


def test_stored_hash_finds_the_record_by_a_variant(world, surrogate):
    with org_scope(world.org_a):
        assert Surrogate.objects.filter(email_hash=pii.email_hash("  maya.planted@example.COM ")).get() == surrogate
        assert Surrogate.objects.filter(phone_hash=pii.phone_hash("+15550102000")).get() == surrogate
