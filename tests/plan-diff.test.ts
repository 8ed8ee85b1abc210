/**
 * The promotion diff classifies hand-made changes, and promoting the real
 * tier30k estate to tier150k's config loses no data.
 */
import { expect } from "chai";
import { promotionDiff } from "../plan/diff";
import { RecordedResource, Recording } from "../plan/evaluate";
import { evaluate, recordStack, stackConfig } from "./harness";

function resource(
    name: string,
    type: string,
    inputs: Record<string, unknown>,
    extra: Partial<RecordedResource> = {},
): RecordedResource {
    return {
        urn: `urn:pulumi:s::p::${type}::${name}`,
        type,
        name,
        custom: true,
        inputs,
        protect: false,
        retainOnDelete: false,
        deleteBeforeReplace: false,
        ignoreChanges: [],
        dependsOn: [],
        aliases: [],
        ...extra,
    };
}

function recording(resources: RecordedResource[]): Recording {
    return { stack: "s", config: {}, resources, outputs: {}, warnings: [] };
}

const INSTANCE = "aws:ec2/instance:Instance";

describe("promotionDiff", () => {
    const volume = resource("data", "aws:ebs/volume:Volume", { availabilityZone: "a", size: 100 });
    const web = resource("web-0", INSTANCE, {
        instanceType: "t3.medium",
        ami: "ami-1",
        userData: "v1",
        tags: { role: "web" },
    });
    const app = resource("app-0", INSTANCE, { instanceType: "t3.medium", ami: "ami-1", tags: { role: "web" } });
    const lb = resource("alb", "aws:lb/loadBalancer:LoadBalancer", { internal: false, idleTimeout: 60 });
    const tg = resource("tg", "aws:lb/targetGroup:TargetGroup", { port: 80 });
    const old = resource("old", "aws:ssm/parameter:Parameter", { value: "x" });
    const before = recording([volume, web, app, lb, tg, old]);
    const after = recording([
        { ...volume, inputs: { ...volume.inputs, availabilityZone: "b" } },
        // userData changes in place without userDataReplaceOnChange.
        { ...web, inputs: { ...web.inputs, instanceType: "c7i.large", userData: "v2" } },
        { ...app, inputs: { ...app.inputs, ami: "ami-2" } },
        { ...lb, inputs: { ...lb.inputs, idleTimeout: 120 } },
        { ...tg, urn: "urn:pulumi:s::p::parent$aws:lb/targetGroup:TargetGroup::tg" },
        resource("queue", "aws:sqs/queue:Queue", {}),
    ]);
    const diff = promotionDiff(before, after, "small", "big");

    it("classifies added, removed, changed and replaced resources", () => {
        expect(diff.added.map((r) => r.name)).to.deep.equal(["queue"]);
        expect(diff.removed.map((r) => r.name)).to.deep.equal(["old"]);
        expect(diff.changed.map((r) => [r.name, r.keys])).to.deep.equal([
            ["web-0", ["instanceType", "userData"]],
            ["alb", ["idleTimeout"]],
        ]);
        expect(diff.replaced.map((r) => [r.name, r.reason])).to.deep.equal([
            ["data", "availabilityZone changed"],
            ["app-0", "ami changed"],
            ["tg", `URN changed (was ${tg.urn})`],
        ]);
    });

    it("highlights stateful replacements as data-loss risks, and only those", () => {
        expect(diff.dataLoss).to.deep.equal([{ urn: volume.urn, reason: "replaced: availabilityZone changed" }]);
    });

    it("replaces an instance on user data when it is told to", () => {
        const strict = resource("w", INSTANCE, { userData: "v1", userDataReplaceOnChange: true });
        const next = recording([{ ...strict, inputs: { ...strict.inputs, userData: "v2" } }]);
        expect(promotionDiff(recording([strict]), next).replaced.map((r) => r.reason)).to.deep.equal([
            "userData changed",
        ]);
    });
});

describe("promotionDiff and the inputs a provider replaces a resource on", () => {
    const RECORD = "aws:route53/record:Record";
    const RULE = "aws:lb/listenerRule:ListenerRule";
    const record = resource("site-record", RECORD, { zoneId: "Z1", name: "www.example.com", type: "A", ttl: 60 });
    const rule = resource("tools-rule", RULE, { listenerArn: "arn:listener/1", priority: 10, conditions: [] });
    const classify = (before: RecordedResource, inputs: Record<string, unknown>) => {
        const diff = promotionDiff(
            recording([before]),
            recording([{ ...before, inputs: { ...before.inputs, ...inputs } }]),
        );
        return {
            replaced: diff.replaced.map((r) => r.reason),
            changed: diff.changed.map((r) => r.keys),
        };
    };

    it("replaces a Route 53 record whose name or zone changes, and changes its TTL in place", () => {
        expect(classify(record, { name: "site.example.com" })).to.deep.equal({
            replaced: ["name changed"],
            changed: [],
        });
        expect(classify(record, { zoneId: "Z2" })).to.deep.equal({ replaced: ["zoneId changed"], changed: [] });
        expect(classify(record, { ttl: 300 })).to.deep.equal({ replaced: [], changed: [["ttl"]] });
    });

    it("replaces a listener rule moved to another listener, and changes its priority in place", () => {
        expect(classify(rule, { listenerArn: "arn:listener/2" })).to.deep.equal({
            replaced: ["listenerArn changed"],
            changed: [],
        });
        expect(classify(rule, { priority: 20 })).to.deep.equal({ replaced: [], changed: [["priority"]] });
    });

    it("tells a field of a nested block that replaces from its siblings that change in place", () => {
        const server = resource("web-0", INSTANCE, { rootBlockDevice: { volumeSize: 20, encrypted: true } });
        expect(classify(server, { rootBlockDevice: { volumeSize: 40, encrypted: true } })).to.deep.equal({
            replaced: [],
            changed: [["rootBlockDevice"]],
        });
        expect(classify(server, { rootBlockDevice: { volumeSize: 20, encrypted: false } })).to.deep.equal({
            replaced: ["rootBlockDevice.encrypted changed"],
            changed: [],
        });
    });

    it("replaces a regional resource moved to another region", () => {
        expect(classify(rule, { region: "eu-west-1" }).replaced).to.deep.equal(["region changed"]);
    });
});

describe("promotionDiff and what Pulumi carries over", () => {
    const RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";

    it("reports a resource renamed with an alias to its old name as renamed, not removed and added", () => {
        const old = resource("mq-in-management-0", RULE, { cidrIpv4: "10.40.0.0/16", fromPort: 15672 });
        const renamed = resource("mq-in-management-vpc", RULE, old.inputs, { aliases: ["mq-in-management-0"] });
        const diff = promotionDiff(recording([old]), recording([renamed]));
        expect(diff.renamed).to.deep.equal([
            { urn: renamed.urn, name: "mq-in-management-vpc", type: RULE, keys: [], was: "mq-in-management-0" },
        ]);
        expect([diff.added, diff.removed, diff.replaced]).to.deep.equal([[], [], []]);
    });

    it("keeps a stateful resource renamed with an alias out of the data-loss risks", () => {
        const volume = resource("db-data", "aws:ebs/volume:Volume", { availabilityZone: "a", size: 100 });
        const renamed = resource("db-primary-data", "aws:ebs/volume:Volume", volume.inputs, { aliases: ["db-data"] });
        expect(promotionDiff(recording([volume]), recording([renamed])).dataLoss).to.deep.equal([]);
        expect(promotionDiff(recording([volume]), recording([{ ...renamed, aliases: [] }])).dataLoss).to.deep.equal([
            { urn: volume.urn, reason: "removed" },
        ]);
    });

    it("does not report an input the resource ignores changes to, which Pulumi leaves as it is", () => {
        const server = resource(
            "db-primary",
            INSTANCE,
            { userDataBase64: "v1", instanceType: "r7i.large" },
            {
                ignoreChanges: ["ami", "userDataBase64"],
            },
        );
        const next = { ...server, inputs: { ...server.inputs, userDataBase64: "v2" } };
        expect(promotionDiff(recording([server]), recording([next])).changed).to.deep.equal([]);
    });

    it("replaces a stateless server whose user data (userDataBase64) changes with userDataReplaceOnChange", () => {
        const server = resource("web-0", INSTANCE, { userDataBase64: "v1", userDataReplaceOnChange: true });
        const next = { ...server, inputs: { ...server.inputs, userDataBase64: "v2" } };
        const diff = promotionDiff(recording([server]), recording([next]));
        expect(diff.replaced.map((r) => r.name)).to.deep.equal(["web-0"]);
        const inPlace = { ...server, inputs: { userDataBase64: "v1" } };
        const nextInPlace = { ...inPlace, inputs: { userDataBase64: "v2" } };
        expect(promotionDiff(recording([inPlace]), recording([nextInPlace])).replaced).to.deep.equal([]);
    });
});

describe("promotion diff tier30k -> tier150k (mocks)", () => {
    it("grows the estate without data loss", async () => {
        const before = await recordStack("tier30k");
        const after = await evaluate("tier30k", { config: stackConfig("tier150k") });
        const diff = promotionDiff(before, after, "tier30k", "tier150k");
        expect(diff.dataLoss).to.deep.equal([]);
        expect(diff.removed).to.deep.equal([]);
        expect(diff.changed.map((r) => r.name)).to.include.members(["db-primary", "db-primary-data", "web-0"]);
        expect(diff.added.map((r) => r.name)).to.include.members(["web-2", "web-3"]);
    });
});
