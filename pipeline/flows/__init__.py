"""Conversations that resolve: the flows hold the state across turns and decide what happens
next; the customer's words are read into commands (offline engine or model), and every write is
a proposal the customer confirms (conversations.proposals).

Two entry points, both synchronous and deterministic:
- `flow_turn`: a customer message. Returns None when no flow takes it (the pipeline's other
  lanes answer it: help-center questions, order status...).
- `decision_reply`: the reply after a proposal was decided (the widget's buttons, or a typed yes
  or no read by `flow_turn`): the result in facts, then the next step of the open requests.
"""

from pipeline.flows.engine import FlowContext, FlowReply, decision_reply, flow_turn

__all__ = ["FlowContext", "FlowReply", "decision_reply", "flow_turn"]
