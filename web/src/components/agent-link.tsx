// An agent's name as a link to its page, or a dash when a record names none.
import { pathTo } from "../router.js";
import { Link } from "./common.js";
import { VisibleText } from "./visible-text.js";

export function AgentLink(props: { agent: string | null | undefined }) {
  if (!props.agent) return <>—</>;
  return (
    <Link href={pathTo("/agents", props.agent)}>
      <VisibleText text={props.agent} />
    </Link>
  );
}
