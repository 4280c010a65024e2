"""Media: audio and video through LiveKit, recording consent and session recordings.

  livekit  the LiveKit server through `livekit-api` (tokens, room service, egress, webhooks), or a stand-in
           answering 503 MEDIA_NOT_CONFIGURED when none is configured
  service  MediaService: the media endpoints' rules, the live permission hook of room commands, the egress webhook

It sits with the room-work services (it uses rooms and sessions); the recordings collection itself, and the
recording link sessions hand out, belong to syncode/services/recordings.py.
"""
