"""A small support agent whose tools ask Warden first, with the agent-warden package.

Run it with `npm start` running in the repository:
    pip install ./python
    WARDEN_TOKEN=$(cat .warden/admin.token) python examples/python/agent.py
"""

from __future__ import annotations

import os
from pathlib import Path

from agent_warden import ApprovalDenied, ToolDenied, Warden, tool

url = os.environ.get("WARDEN_URL", "http://127.0.0.1:8787")
token = os.environ.get("WARDEN_TOKEN") or Path(".warden/admin.token").read_text().strip()


@tool("read_ticket")
def read_ticket(id: int) -> str:
    return f"ticket {id}: my invoice is wrong"


@tool("send_email")
def send_email(to: str, subject: str, body: str) -> str:
    return f"sent to {to}"


@tool("execute_shell")
def execute_shell(command: str) -> str:
    raise SystemExit("this body must never run")


with Warden(url, token) as warden:
    with warden.session(agent="support-bot", on_behalf_of="alice@example.com", intent="answer ticket #123"):
        print(read_ticket(id=123, rationale="the user asked about ticket 123", tool_call_id="call_1"))
        try:
            execute_shell(command="cat /etc/passwd", rationale="curious")
        except ToolDenied as denied:
            print(f"refused as expected: {denied}")

        # Mail that leaves the company asks a person: approve or deny it in the dashboard (or `warden approve`).
        print("waiting for a person to decide the email to an outside address ...", flush=True)
        try:
            print(send_email(to="customer@outside.example", subject="Your invoice", body="...", rationale="reply"))
        except ApprovalDenied as denied:
            print(f"not sent: {denied}")
