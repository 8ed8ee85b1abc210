/**
 * Security-group rules as separate resources (never inline), one per port and
 * peer, so that each component adds only the rules of the ports it serves.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** The other end of a rule: a security group, or a CIDR block. */
export type Peer = { securityGroupId: pulumi.Input<string> } | { cidr: string };

export interface PortRange {
    from: number;
    /** Defaults to `from`. */
    to?: number;
}

/** A CIDR block a rule admits, with the part of the rule's name that says which. */
export interface CidrPeer {
    readonly cidr: string;
    /** `vpc` for the VPC's own block, else the block with `-` for `/` (`10.8.0.0-16`). */
    readonly ruleName: string;
    readonly description: string;
    /**
     * Its place in the list [VPC, ...admin blocks], by which rules were named until
     * 2026-11; their aliases, so that a deployed stack keeps its rules.
     */
    readonly formerPosition: number;
}

/**
 * The VPC's block and the admin blocks, for rules named by their peer, never by
 * list position: removing one admin block leaves the other blocks' rules alone.
 */
export function vpcAndAdminPeers(
    vpcCidr: string,
    adminCidrs: readonly string[],
    descriptions: { vpc: string; admin: string },
): CidrPeer[] {
    return [
        { cidr: vpcCidr, ruleName: "vpc", description: descriptions.vpc, formerPosition: 0 },
        ...adminCidrs.map((cidr, index) => ({
            cidr,
            ruleName: cidr.replace("/", "-"),
            description: descriptions.admin,
            formerPosition: index + 1,
        })),
    ];
}

function peerArgs(peer: Peer) {
    return "cidr" in peer ? { cidrIpv4: peer.cidr } : { referencedSecurityGroupId: peer.securityGroupId };
}

interface RuleArgs {
    securityGroupId: pulumi.Input<string>;
    ports: PortRange;
    peer: Peer;
    description: string;
}

function ruleArgs(args: RuleArgs) {
    return {
        securityGroupId: args.securityGroupId,
        description: args.description,
        ipProtocol: "tcp",
        fromPort: args.ports.from,
        toPort: args.ports.to ?? args.ports.from,
        ...peerArgs(args.peer),
    };
}

/** `aliases`: the rule's earlier names, so that a renamed rule is not replaced. */
export function ingressRule(
    name: string,
    args: RuleArgs,
    parent: pulumi.Resource,
    aliases?: pulumi.Alias[],
): aws.vpc.SecurityGroupIngressRule {
    return new aws.vpc.SecurityGroupIngressRule(name, ruleArgs(args), { parent, aliases });
}

export function egressRule(name: string, args: RuleArgs, parent: pulumi.Resource): aws.vpc.SecurityGroupEgressRule {
    return new aws.vpc.SecurityGroupEgressRule(name, ruleArgs(args), { parent });
}

/**
 * Lets each client group reach the server group on `ports`: the server's
 * ingress and the matching egress on the client, named `<name>-in-client-<i>`
 * and `<name>-client-<i>-out`.
 */
export function allowClients(
    name: string,
    serverSecurityGroupId: pulumi.Input<string>,
    clientSecurityGroupIds: pulumi.Input<string>[],
    ports: PortRange,
    description: string,
    parent: pulumi.Resource,
): void {
    clientSecurityGroupIds.forEach((clientSecurityGroupId, index) => {
        ingressRule(
            `${name}-in-client-${index}`,
            {
                securityGroupId: serverSecurityGroupId,
                ports,
                peer: { securityGroupId: clientSecurityGroupId },
                description: `${description} from clients`,
            },
            parent,
        );
        egressRule(
            `${name}-client-${index}-out`,
            {
                securityGroupId: clientSecurityGroupId,
                ports,
                peer: { securityGroupId: serverSecurityGroupId },
                description: `${description} to the servers`,
            },
            parent,
        );
    });
}

/** Lets members of a group talk to each other on `ports` (clusters, replication). */
export function allowPeers(
    name: string,
    securityGroupId: pulumi.Input<string>,
    ports: PortRange,
    description: string,
    parent: pulumi.Resource,
): void {
    const rule = { securityGroupId, ports, peer: { securityGroupId }, description };
    ingressRule(`${name}-in`, rule, parent);
    egressRule(`${name}-out`, rule, parent);
}

/** HTTPS out to anywhere: AWS APIs (through NAT or endpoints) and package repositories. */
export function allowHttpsOut(name: string, securityGroupId: pulumi.Input<string>, parent: pulumi.Resource): void {
    egressRule(
        name,
        {
            securityGroupId,
            ports: { from: 443 },
            peer: { cidr: "0.0.0.0/0" },
            description: "AWS APIs and package repositories over HTTPS",
        },
        parent,
    );
}

/**
 * A security group without inline rules: every rule is a separate resource
 * added by the component that serves the port. The provider removes AWS's
 * default allow-all egress, so egress is explicit too.
 */
export function createSecurityGroup(
    name: string,
    vpcId: pulumi.Input<string>,
    description: string,
    parent: pulumi.Resource,
): aws.ec2.SecurityGroup {
    return new aws.ec2.SecurityGroup(
        name,
        { vpcId, description, revokeRulesOnDelete: true, tags: { Name: name.replace(/-sg$/, "") } },
        { parent },
    );
}
