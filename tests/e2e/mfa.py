"""The second sign-in step in the browser, as a person with an authenticator app does it."""
import base64
import time

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


def code_for(secret_b32: str, *, not_before_step: int = -1) -> str:
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    step = int(time.time()) // 30
    # A code is accepted once; a second sign-in within the same 30 s uses the next step's code
    # (still inside the device's tolerance of one step).
    drift = 1 if step <= not_before_step else 0
    return str(totp(key, drift=drift)).zfill(6)


def complete_mfa(page, base_url: str, email: str) -> None:
    """After the password page: enroll (first sign-in) or enter the current code."""
    page.wait_for_url(f"{base_url}/accounts/mfa/**")
    if "/accounts/mfa/enroll/" in page.url:
        secret = page.locator("[data-testid=totp-secret]").inner_text().strip()
        page.fill("#id_code", code_for(secret))
        with page.expect_navigation():
            page.click("button:has-text('Confirm')")
        assert page.locator("[data-testid=recovery-codes] li").count() == 8
        with page.expect_navigation():
            page.click("[data-testid=mfa-continue]")
        return
    device = TOTPDevice.objects.get(user__email=email, confirmed=True)
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    page.fill("#id_code", code_for(secret, not_before_step=device.last_t))
    with page.expect_navigation():
        page.click("button:has-text('Verify')")
