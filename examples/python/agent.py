"""A tiny support agent whose tools ask Warden first. Run: python3 examples/python/agent.py (with `npm start` running)."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from warden_client import ToolDenied, WardenClient  # noqa: E402

url = os.environ.get("WARDEN_URL", "http://127.0.0.1:8787")
token = os.environ.get("WARDEN_TOKEN") or open(".warden/admin.token").read().strip()
warden = WardenClient(url, token)
session = warden.session(agent="support-bot", on_behalf_of="alice@example.com", intent="answer ticket #123")


@session.audit_agent_tool("read_ticket")
def read_ticket(id: int) -> str:
    return f"ticket {id}: my invoice is wrong"


@session.audit_agent_tool("send_email")
def send_email(to: str, subject: str, body: str) -> str:
    return f"sent to {to}"


@session.audit_agent_tool("execute_shell")
def execute_shell(command: str) -> str:
    raise SystemExit("this body must never run")


print(read_ticket(id=123, rationale="the user asked about ticket 123"))
try:
    execute_shell(command="cat /etc/passwd", rationale="curious")
except ToolDenied as denied:
    print(f"refused as expected: {denied}")

# Mail that leaves the company asks a person: approve or deny it in the dashboard (or `warden approve`).
print("waiting for a person to decide the email to an outside address ...", flush=True)
try:
    print(send_email(to="customer@outside.example", subject="Your invoice", body="...", rationale="reply to the customer"))
except ToolDenied as denied:
    print(f"not sent: {denied}")
session.end()
