/**
 * Each shipped stack file is an estate a team deploys from nothing for its tier:
 * nothing retired, draining or migrating, which only an estate that grew into
 * the tier has (tests/fixtures/promoted-to-1m.yaml).
 */
import { expect } from "chai";
import { StackConfig } from "../domain/stack-config";
import { parseStackConfig } from "../stacks/config";
import { selfManagedServers } from "../stacks/decisions";
import {
    PROMOTED_TO_1M,
    Recording,
    STACKS,
    evaluate,
    ofType,
    promotedTo1m,
    recordStack,
    stackConfig,
    reached,
} from "./harness";

/** What in a config belongs to a road between tiers, not to an estate deployed for its tier. */
function roadSettings(config: StackConfig): string[] {
    return [
        config.memcached.draining && "memcached.draining",
        config.rabbitmq.draining && "rabbitmq.draining",
        config.rabbitmq.retired && "rabbitmq.retired",
        config.migration.phase !== "none" && `migration.phase ${config.migration.phase}`,
        selfManagedServers(config) === "retired" && "retired MySQL servers",
    ].filter((setting): setting is string => typeof setting === "string");
}

/** Resources only a road between tiers builds: DMS, final snapshots, volumes no server holds. */
function roadResources(recording: Recording): string[] {
    const attached = new Set(
        ofType(recording, "aws:ec2/volumeAttachment:VolumeAttachment").map((a) => a.inputs.volumeId as string),
    );
    return [
        ...recording.resources.filter(
            (r) => r.type.startsWith("aws:dms/") || r.component === "scale-tiers:migration:Migration",
        ),
        ...ofType(recording, "aws:ebs/snapshot:Snapshot"),
        ...ofType(recording, "aws:ebs/volume:Volume").filter((v) => !attached.has(`${v.name}-id`)),
    ].map((r) => `${r.name} (${r.type})`);
}

describe("shipped stack files", () => {
    for (const stack of STACKS) {
        it(`Pulumi.${stack}.yaml builds no retired, draining or migration resource`, async () => {
            const config = parseStackConfig({ project: "scale-tiers", stack, values: stackConfig(stack) });
            expect(roadSettings(config)).to.deep.equal([]);
            expect(roadResources(await recordStack(stack))).to.deep.equal([]);
        });
    }

    it("would be told apart from an estate on the road: the promoted fixture has both", async () => {
        const config = parseStackConfig({ project: "scale-tiers", stack: "tier1m", values: promotedTo1m() });
        expect(roadSettings(config)).to.include.members(["rabbitmq.draining", "retired MySQL servers"]);
        const recording = await evaluate("tier1m", reached(promotedTo1m()));
        expect(roadResources(recording)).to.include.members([
            "db-primary-data (aws:ebs/volume:Volume)",
            "db-primary-data-final (aws:ebs/snapshot:Snapshot)",
        ]);
        expect(PROMOTED_TO_1M).to.not.be.oneOf([...STACKS]);
    });
});
