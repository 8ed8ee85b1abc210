/**
 * The estate's tags as pure functions: which component owns a resource, and
 * where each type takes its tags.
 */
import { expect } from "chai";
import { TAGGABLE_TYPES } from "../domain/taggable-types";
import { estateTags, owningComponent, withTags } from "../domain/tags";

const TAGS = estateTags("scale-tiers", "tier1m", "data");

describe("owningComponent", () => {
    it("is the component a resource was created in, directly or under another resource", () => {
        expect(owningComponent("urn:pulumi:tier1m::scale-tiers::scale-tiers:data:Database::data")).to.equal("data");
        expect(
            owningComponent(
                "urn:pulumi:tier1m::scale-tiers::scale-tiers:data:Database$aws:ec2/securityGroup:SecurityGroup::data-sg",
            ),
        ).to.equal("data");
    });

    it("reaches into what a remote component (awsx) creates under a component", () => {
        expect(
            owningComponent("urn:pulumi:s::scale-tiers::scale-tiers:network:Network$awsx:ec2:Vpc::network-vpc"),
        ).to.equal("network");
    });

    it("is none for what the stack itself holds", () => {
        expect(owningComponent("urn:pulumi:tier1m::scale-tiers::pulumi:pulumi:Stack::scale-tiers-tier1m")).to.equal(
            undefined,
        );
    });
});

describe("withTags", () => {
    it("gives a tags map, where the resource's own tags win", () => {
        expect(
            withTags("aws:ebs/volume:Volume", { size: 20, tags: { Name: "db-data", stack: "own" } }, TAGS),
        ).to.deep.equal({
            size: 20,
            tags: { project: "scale-tiers", stack: "own", "managed-by": "pulumi", component: "data", Name: "db-data" },
        });
        expect(withTags("aws:sqs/queue:Queue", { name: "jobs" }, TAGS)).to.deep.equal({ name: "jobs", tags: TAGS });
    });

    it("leaves alone a type that takes no tags, which AWS would refuse", () => {
        expect(withTags("aws:route53/record:Record", { name: "db" }, TAGS)).to.equal(undefined);
        expect(withTags("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {}, TAGS)).to.equal(undefined);
    });

    it("tags an instance's root volume with the instance", () => {
        const instance = withTags(
            "aws:ec2/instance:Instance",
            { rootBlockDevice: { volumeSize: 20 }, tags: { Name: "db" } },
            TAGS,
        );
        expect(instance).to.deep.equal({
            rootBlockDevice: { volumeSize: 20, tags: TAGS },
            tags: { ...TAGS, Name: "db" },
        });
    });

    it("tags what a launch template launches, each specification keeping its own Name", () => {
        const template = withTags(
            "aws:ec2/launchTemplate:LaunchTemplate",
            { tagSpecifications: [{ resourceType: "instance", tags: { Name: "web" } }, { resourceType: "volume" }] },
            TAGS,
        );
        expect(template).to.deep.equal({
            tagSpecifications: [
                { resourceType: "instance", tags: { ...TAGS, Name: "web" } },
                { resourceType: "volume", tags: TAGS },
            ],
            tags: TAGS,
        });
    });

    it("gives an Auto Scaling group its list of tags, none propagated, its own kept", () => {
        const group = withTags(
            "aws:autoscaling/group:Group",
            {
                tags: [
                    { key: "Name", value: "web-asg", propagateAtLaunch: false },
                    { key: "stack", value: "own", propagateAtLaunch: false },
                ],
            },
            TAGS,
        );
        expect(group).to.deep.equal({
            tags: [
                { key: "project", value: "scale-tiers", propagateAtLaunch: false },
                { key: "managed-by", value: "pulumi", propagateAtLaunch: false },
                { key: "component", value: "data", propagateAtLaunch: false },
                { key: "Name", value: "web-asg", propagateAtLaunch: false },
                { key: "stack", value: "own", propagateAtLaunch: false },
            ],
        });
    });

    it("gives an S3 object, which takes at most 10 tags, the estate's and not the stack's own", () => {
        const withOwn = estateTags("scale-tiers", "tier1m", "network", { "cost-center": "cc-42" });
        expect(withTags("aws:s3/bucketObjectv2:BucketObjectv2", { key: "boot/web/x.sh" }, withOwn)).to.deep.equal({
            key: "boot/web/x.sh",
            tags: estateTags("scale-tiers", "tier1m", "network"),
        });
    });

    it("tags the subnets awsx creates from a VPC's subnet specs", () => {
        const vpc = withTags(
            "awsx:ec2:Vpc",
            { subnetSpecs: [{ type: "Private" }, { type: "Public", tags: { tier: "edge" } }] },
            TAGS,
        );
        expect(vpc).to.deep.equal({
            subnetSpecs: [
                { type: "Private", tags: TAGS },
                { type: "Public", tags: { ...TAGS, tier: "edge" } },
            ],
            tags: TAGS,
        });
    });
});

describe("TAGGABLE_TYPES", () => {
    it("holds the types whose args take a tags map, and not those that take a list or none", () => {
        expect([...TAGGABLE_TYPES]).to.include.members([
            "aws:ec2/instance:Instance",
            "aws:rds/instance:Instance",
            "awsx:ec2:Vpc",
        ]);
        expect([...TAGGABLE_TYPES]).not.to.include.members([
            "aws:autoscaling/group:Group",
            "aws:route53/record:Record",
        ]);
    });
});
