"""The demo desk: the demo agent's profile and the canned replies."""

from __future__ import annotations

from django.contrib.auth.models import User

from desk.models import AgentProfile, CannedResponse

DEMO_AGENT = "agent"
CANNED_RESPONSES = [
    ("Greeting", "Hi, I'm here to help. Let me read through your conversation so far."),
    ("Checking", "Thanks for your patience: I'm checking this with our warehouse now."),
    ("Refund approved", "I've approved your refund; it reaches your card within 5 business days."),
    ("Closing", "Is there anything else I can help with today? If not, I'll close this chat."),
]


def seed_desk() -> None:
    """The demo agent takes handoffs by round-robin (when at the desk), with canned replies."""
    agent = User.objects.get(username=DEMO_AGENT)
    AgentProfile.objects.get_or_create(user=agent, defaults={"available": True, "capacity": 3})
    for title, text in CANNED_RESPONSES:
        CannedResponse.objects.update_or_create(title=title, defaults={"text": text})
