// The dashboard keeps its own copy of the API's JSON shapes (web/src/types.ts: it is bundled for the
// browser and imports no server code). This checks, when the tests are typechecked, that every shape
// the server sends still fits that copy, so the two cannot drift apart unnoticed.
import { describe, expectTypeOf, it } from "vitest";
import type { ApprovalView } from "../../src/approvals/state.js";
import type { AccountabilityChain } from "../../src/identity/accountability.js";
import type { LedgerRecord, SessionRow } from "../../src/ledger/types.js";
import type { RangeSegment, RangeVerification } from "../../src/ledger/verify/range.js";
import type { AgentActivity, CallSummary } from "../../src/server/agents-routes.js";
import type { AlertView } from "../../src/server/alerts-routes.js";
import type { RecordsPage } from "../../src/server/records-routes.js";
import type * as Web from "../../web/src/types.js";

describe("the dashboard's copy of the API's shapes", () => {
  it("takes every shape the server sends", () => {
    expectTypeOf<LedgerRecord>().toExtend<Web.LedgerRecord>();
    expectTypeOf<ApprovalView>().toExtend<Web.ApprovalView>();
    expectTypeOf<SessionRow>().toExtend<Web.SessionRow>();
    expectTypeOf<AgentActivity>().toExtend<Web.AgentActivity>();
    expectTypeOf<CallSummary>().toExtend<Web.CallSummary>();
    expectTypeOf<AccountabilityChain>().toExtend<Web.AccountabilityChain>();
    expectTypeOf<AlertView>().toExtend<Web.AlertView>();
    expectTypeOf<RangeSegment>().toExtend<Web.RangeSegment>();
    expectTypeOf<RangeVerification>().toExtend<Web.RangeVerification>();
    expectTypeOf<RecordsPage>().toExtend<Web.RecordsPage>();
  });
});
