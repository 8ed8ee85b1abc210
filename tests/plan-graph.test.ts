/**
 * The dependency graph rebuilt from a recording, and the critical path of a
 * first `pulumi up` through a hand-built graph.
 */
import { expect } from "chai";
import { RecordedResource, Recording } from "../plan/evaluate";
import { buildGraph, criticalPath, deployTime } from "../plan/graph";

function resource(
    name: string,
    type: string,
    inputs: Record<string, unknown> = {},
    extra: Partial<RecordedResource> = {},
): RecordedResource {
    return {
        urn: `urn:${name}`,
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
    return { stack: "s", config: { "aws:region": "ap-northeast-2" }, resources, outputs: {}, warnings: [] };
}

const node = (urn: string, seconds: number) => ({ urn, name: urn, type: "t", seconds });

describe("criticalPath", () => {
    it("follows the longest chain, not the most resources", () => {
        const deps = new Map([
            ["listener", ["alb", "tg"]],
            ["tg", ["sg"]],
            ["alb", ["sg"]],
            ["instance", ["sg", "role"]],
        ]);
        const nodes = [
            node("sg", 3),
            node("role", 5),
            node("alb", 180),
            node("tg", 3),
            node("listener", 5),
            node("instance", 45),
        ];
        const result = criticalPath(nodes, deps);
        expect(result.totalSeconds).to.equal(188);
        expect(result.path.map((s) => [s.urn, s.finishSeconds])).to.deep.equal([
            ["sg", 3],
            ["alb", 183],
            ["listener", 188],
        ]);
    });

    it("shows a needless dependency serialising two slow resources", () => {
        const nodes = [node("nat", 120), node("alb", 180), node("db", 900)];
        expect(criticalPath(nodes, new Map()).totalSeconds).to.equal(900);
        const serial = criticalPath(nodes, new Map([["db", ["alb"]]]));
        expect(serial.totalSeconds).to.equal(1080);
        expect(serial.path.map((s) => s.urn)).to.deep.equal(["alb", "db"]);
    });

    it("refuses a cycle", () => {
        const deps = new Map([
            ["a", ["b"]],
            ["b", ["a"]],
        ]);
        expect(() => criticalPath([node("a", 1), node("b", 1)], deps)).to.throw(/cycle/);
    });
});

describe("buildGraph", () => {
    const component = resource("web", "scale-tiers:compute:WebTier", {}, { custom: false });
    const sg = resource("sg", "aws:ec2/securityGroup:SecurityGroup");
    const role = resource("role", "aws:iam/role:Role");
    const secret = resource("secret", "aws:secretsmanager/secret:Secret");
    const child = resource("volume", "aws:ebs/volume:Volume", {}, { parent: component.urn });
    const instance = resource(
        "instance",
        "aws:ec2/instance:Instance",
        // An id, a name output and an ARN inside a policy-like string; `role-2` must not match `role`.
        {
            vpcSecurityGroupIds: ["sg-id"],
            iamInstanceProfile: "role-mock",
            userData: `fetch arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:secret-AbCdEf and role-2`,
        },
        { dependsOn: [component.urn] },
    );
    const graph = buildGraph(recording([component, sg, role, secret, child, instance]));

    it("finds outputs flowing into inputs, and expands dependsOn on a component to its children", () => {
        expect([...graph.dependencies.get(instance.urn)!].sort()).to.deep.equal(
            [child.urn, role.urn, secret.urn, sg.urn].sort(),
        );
    });

    it("does not make a child depend on its parent", () => {
        expect(graph.dependencies.get(child.urn)).to.deep.equal([]);
    });

    it("weights resources by type", () => {
        const result = deployTime(recording([component, sg, role, secret, child, instance]), graph);
        expect(result.totalSeconds).to.equal(55);
        expect(result.path.map((s) => s.urn)).to.deep.equal([child.urn, instance.urn]);
    });
});
