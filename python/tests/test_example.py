"""The example in examples/python runs as printed against a real `warden start`, with this package installed."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from .service import ROOT, Service


def test_the_example_agent_runs_and_reads_the_approvers_reason(service: Service) -> None:
    env = {**os.environ, "WARDEN_URL": service.url, "WARDEN_TOKEN": service.agent_token}
    before = service.approvals()
    with ThreadPoolExecutor(1) as pool:
        run = pool.submit(
            subprocess.run,
            [sys.executable, str(ROOT / "examples" / "python" / "agent.py")],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        approval = service.wait_for_new_approval(before)
        service.decide(approval, "deny", "not before the audit")
        done = run.result()
    assert done.returncode == 0, done.stderr
    assert "ticket 123: my invoice is wrong" in done.stdout
    assert "refused as expected: TOOL_DENIED" in done.stdout
    assert "not sent: APPROVAL_DENIED: " in done.stdout and "not before the audit" in done.stdout
