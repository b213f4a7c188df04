"""The tests' fake Zoom: the meeting API of integrations.zoom.fake_zoom (dev runs it too, inside
integrations.connections.fake_provider) on a real socket in a thread."""
from integrations.zoom.fake_zoom import MEETINGS_PATH, FakeZoomMeetings
from tests.fake_http import FakeServer


class FakeZoom(FakeZoomMeetings, FakeServer):
    def __init__(self):
        FakeZoomMeetings.__init__(self)
        FakeServer.__init__(self)  # its lock and release event replace the ones above (same names)

    def creates(self) -> int:  # every create call that reached the socket, refused tokens included
        return self.count("POST", MEETINGS_PATH)

    def handle(self, request):
        answered = self.answer(request.method, request.path, request.headers, request.body)
        if answered is not None:  # None: a scripted "hang" that was released; the client gave up
            request.answer(*answered)
