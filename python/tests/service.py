"""A real `warden start` for the tests: started on a free port with tests/policy.yaml, tokens minted by the CLI."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import httpx

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("WARDEN_BIN", ROOT / "dist" / "cli" / "bin.js"))
POLICY = Path(__file__).with_name("policy.yaml")
AGENT = "support-bot"


@dataclass
class Service:
    url: str
    agent_token: str
    approver_token: str
    admin_token: str
    process: subprocess.Popen[str]
    output: List[str]

    def approvals(self) -> List[Dict[str, object]]:
        return self.approvals_with_status("pending")

    def approvals_with_status(self, status: str) -> List[Dict[str, object]]:
        answer = httpx.get(
            f"{self.url}/v1/approvals", params={"status": status}, headers=self._auth(self.approver_token)
        ).json()
        return list(answer["approvals"])

    def decide(self, approval: Dict[str, object], decision: str, reason: Optional[str] = None) -> None:
        """Decides a pending approval through the API, as an approver would from the dashboard."""
        body = {"decision": decision, "digest": approval["digest"]}
        if reason is not None:
            body["reason"] = reason
        response = httpx.post(
            f"{self.url}/v1/approvals/{approval['id']}/decision", json=body, headers=self._auth(self.approver_token)
        )
        response.raise_for_status()

    def wait_for_approval_of(self, session_id: str) -> Dict[str, object]:
        return self._first_approval(lambda a: a.get("session") == session_id, f"session {session_id}")

    def wait_for_new_approval(self, known: List[Dict[str, object]]) -> Dict[str, object]:
        """The first pending approval that is not among ``known`` (a snapshot taken before the agent ran)."""
        ids = {a["id"] for a in known}
        return self._first_approval(lambda a: a["id"] not in ids, "a new call")

    def _first_approval(self, wanted: Callable[[Dict[str, object]], bool], what: str) -> Dict[str, object]:
        # Polls the approvals list as an approver's screen would, until the agent's call shows up.
        until = time.monotonic() + 30
        while time.monotonic() < until:
            for approval in self.approvals():
                if wanted(approval):
                    return approval
            time.sleep(0.05)
        raise AssertionError(f"no pending approval for {what}")

    def end_session(self, session_id: str, reason: str) -> None:
        """Ends a session through the API as an operator would (admin token), not through the agent's client."""
        response = httpx.post(
            f"{self.url}/v1/sessions/{session_id}/end", json={"reason": reason}, headers=self._auth(self.admin_token)
        )
        response.raise_for_status()

    def ledger(self, **query: str) -> List[Dict[str, object]]:
        params = {"order": "asc", "limit": "1000", **query}
        answer = httpx.get(f"{self.url}/v1/ledger", params=params, headers=self._auth(self.admin_token)).json()
        return list(answer["records"])

    def _auth(self, token: str) -> Dict[str, str]:
        return {"authorization": f"Bearer {token}"}


def _cli(directory: Path, *args: str) -> str:
    done = subprocess.run(
        ["node", str(BIN), *args], cwd=directory, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


def _token(directory: Path, *args: str) -> str:
    # The policy the service runs with: an agent token's agent must be in its agents: registry.
    made = _cli(directory, "token", "create", "--json", "--db", "state/ledger.db", "--policy", str(POLICY), *args)
    return str(json.loads(made)["token"])


def start(directory: Path) -> Service:
    if shutil.which("node") is None:
        raise RuntimeError("node is needed to run `warden start` for these tests")
    if not BIN.exists():
        raise RuntimeError(f"{BIN} is missing: run `npm run build --silent` in {ROOT} first")
    _cli(directory, "init", "--dir", "state")
    roles: List[Tuple[str, ...]] = [
        ("--role", "agent", "--agent", AGENT),
        ("--role", "approver", "--name", "carol@example.com"),
        ("--role", "admin", "--name", "root@example.com"),
    ]
    with ThreadPoolExecutor(len(roles)) as pool:
        agent, approver, admin = pool.map(functools.partial(_token, directory), *zip(*roles))
    process = subprocess.Popen(
        ["node", str(BIN), "start", "--dir", "state", "--policy", str(POLICY), "--port", "0"],
        cwd=directory,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: List[str] = []
    found = threading.Event()
    url: List[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            if match and not url:
                url.append(match.group(1))
                found.set()

    threading.Thread(target=read, daemon=True).start()
    if not found.wait(30):
        process.kill()
        raise RuntimeError("warden start did not listen:\n" + "".join(output))
    return Service(url[0], agent, approver, admin, process, output)


def stop(service: Service) -> None:
    if service.process.poll() is not None:
        return
    # A long poll still held open (a cancelled approval wait) may delay a graceful stop: do not wait long.
    service.process.terminate()
    try:
        service.process.wait(3)
    except subprocess.TimeoutExpired:
        service.process.kill()
