/**
 * Where each stateful server runs: the index of its AZ in `availabilityZones`.
 * The components place their servers by these, and the deployed state records
 * the AZ each data volume ended up in, so both always agree; a volume cannot
 * move between AZs, so a change that would move one is refused.
 */
import { MysqlRole } from "./database";
import { ToolName } from "./stack-config";

/** The self-managed MySQL servers: the primary in the first AZ, the replica in the second. */
export const MYSQL_AZ_INDEX: Readonly<Record<MysqlRole, number>> = { primary: 0, replica: 1 };

/** The AZ (index) of RabbitMQ node `index`: round-robin, so that a quorum survives the loss of one AZ. */
export function rabbitmqNodeAzIndex(index: number, azCount: number): number {
    return index % azCount;
}

/** Jenkins runs in the first AZ. */
export const JENKINS_AZ_INDEX = 0;

/** The team tools, one AZ each in order, wrapping round when there are fewer AZs than tools. */
export function toolAzIndex(tool: ToolName, azCount: number): number {
    const order: Record<ToolName, number> = { jira: 0, wiki: 1, cms: 2 };
    return order[tool] % azCount;
}
