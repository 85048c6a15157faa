"""What the demo history's conversations say and which models they call: the texts, intents,
reasons, verifier rejections and failures it draws from, and typical token counts per stage."""

from __future__ import annotations

MODELS = {
    "intent": "gemini-2.5-flash",
    "retrieval": "deepseek-v3.2",
    "reasoning": "gpt-4.1",
    "empathy": "claude-sonnet-4.5",
}
# (prompt tokens, completion tokens, reasoning tokens) per stage, roughly what the prompts hold.
TOKENS = {
    "intent": (650, 60, 0),
    "retrieval": (900, 120, 0),
    "reasoning": (2400, 450, 180),
    "empathy": (1500, 220, 0),
}
FAST_INTENTS = ("order_status", "product_inquiry", "invoice", "account", "feedback")
FULL_INTENTS = ("shipping_expedite", "refund_request", "cancel_order", "change_address", "payment")
HANDOFF_REASONS = (
    ("human_agent", "customer asked for a person"),
    ("refund_request", "refund of $240.00 is over the bot's $100.00 limit"),
    ("complaint_escalation", "legal threat"),
    ("account", "account deletion needs a person"),
)
REJECTIONS = (
    "amount $18.40 is not in the facts",
    "date 2026-11-03 is not in the facts",
    "missing step apply_discount",
    "order ORD-9999 is not the customer's",
)
FAILURES = (
    "TimeoutError after 45.0 s in reasoning",
    "HTTP 503 from gpt-4.1: upstream unavailable",
)
AGENT_REPLY = "Hi, this is Dana from support. I've sorted this out for you."
CUSTOMER_TEXT = {
    "order_status": "Where is my order?",
    "product_inquiry": "Does the jacket come in navy?",
    "invoice": "Can I get an invoice for my last order?",
    "account": "How do I change my password?",
    "feedback": "Thanks, that was quick!",
    "shipping_expedite": "Can you speed up my delivery? I need it by Friday.",
    "refund_request": "I'd like a refund for the damaged mug.",
    "cancel_order": "Please cancel my order, I ordered the wrong size.",
    "change_address": "I moved, can you ship to my new address?",
    "payment": "I was charged twice for one order.",
    "human_agent": "I want to talk to a real person.",
    "complaint_escalation": "This is unacceptable, I'm contacting my lawyer.",
}
