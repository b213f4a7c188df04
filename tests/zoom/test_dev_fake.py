"""The dev fake provider (python -m integrations.connections.fake_provider) serves Zoom's meeting
API too, for the tokens it issued: a meeting created through our real client gets a join URL."""
import pytest

from integrations.connections.fake_provider import FakeOAuth
from integrations.zoom.models import ZoomMeeting
from tenants.models import Role
from tenants.scope import org_scope
from tests.zoom.conftest import connect_zoom
from tests.zoom.helpers import request_meeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def dev_fake(settings):
    fake = FakeOAuth().start()
    fake.configure(settings)
    settings.ZOOM_RETRY_BASE_SECONDS = 0.01
    yield fake
    fake.stop()


def test_a_meeting_created_against_the_dev_fake_gets_a_join_url(world, dev_fake, django_capture_on_commit_callbacks):
    dev_fake.access_tokens.add("dev-issued-token")  # what its /oauth/token hands out
    member = world.member(world.org_a, Role.CASE_MANAGER)
    connect_zoom(member, token="dev-issued-token")
    with django_capture_on_commit_callbacks(execute=True):
        request_meeting(world, member)
    with org_scope(world.org_a):
        (meeting,) = ZoomMeeting.objects.all()
    assert meeting.status == ZoomMeeting.Status.CREATED
    assert meeting.join_url == dev_fake.zoom.meetings[0]["join_url"] and meeting.join_url.startswith("https://zoom.example/j/")
    assert [r["path"] for r in dev_fake.requests] == ["/v2/users/me/meetings"]


def test_the_dev_fake_refuses_tokens_it_did_not_issue(world, dev_fake, django_capture_on_commit_callbacks):
    member = world.member(world.org_a, Role.CASE_MANAGER)
    connect_zoom(member, token="never-issued")
    with django_capture_on_commit_callbacks(execute=True):
        request_meeting(world, member)
    with org_scope(world.org_a):
        (meeting,) = ZoomMeeting.objects.all()
    assert meeting.status != ZoomMeeting.Status.CREATED and meeting.join_url == ""
    assert dev_fake.zoom.meetings == []
