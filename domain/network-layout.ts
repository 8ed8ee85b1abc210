/**
 * The VPC's subnet layout, as pure logic: which blocks each AZ gets. The
 * network component creates them; the deployed state records them, so that a
 * change that would move a subnet is refused before it is registered.
 */
import { Cidr, blockSize, formatCidr, mustParseCidr, overlaps, subBlock } from "./cidr";

/** The three subnets one AZ gets. */
export interface AzSubnets {
    readonly availabilityZone: string;
    /** Load balancers and NAT gateways. */
    readonly public: string;
    /** Servers; outbound through NAT. */
    readonly private: string;
    /** Managed databases; no route to the internet. */
    readonly isolated: string;
}

/** Most AZs a layout has room for: the VPC is cut into four equal AZ slots. */
export const MAX_AZS = 4;

/**
 * The fixed subnet layout: the VPC is split into four equal AZ slots (so a
 * stack's blocks never depend on how many AZs it has); in each slot the private subnet takes
 * the first half, then a public and an isolated block of 1/16 of the slot each;
 * the rest of the slot stays free for later subnet types.
 * For a /16: AZ slots /18, private /19, public /22, isolated /22.
 *
 * This must never change for a deployed VPC, whatever the tier.
 */
export function planSubnets(vpcCidr: string, availabilityZones: readonly string[]): AzSubnets[] {
    const vpc = mustParseCidr(vpcCidr);
    if (availabilityZones.length < 1 || availabilityZones.length > MAX_AZS) {
        throw new Error(`a layout holds 1 to ${MAX_AZS} AZs, got ${availabilityZones.length}`);
    }
    const slotPrefix = vpc.prefix + 2;
    return availabilityZones.map((availabilityZone, index) => {
        const slot = subBlock(vpc, slotPrefix, index);
        const privateBlock = subBlock(slot, slotPrefix + 1, 0);
        const small = slotPrefix + 4;
        const firstSmallAfterPrivate = blockSize(slotPrefix + 1) / blockSize(small);
        return {
            availabilityZone,
            private: formatCidr(privateBlock),
            public: formatCidr(subBlock(slot, small, firstSmallAfterPrivate)),
            isolated: formatCidr(subBlock(slot, small, firstSmallAfterPrivate + 1)),
        };
    });
}

/** Every pair of subnets in a plan that overlap; empty for a sound plan. */
export function overlappingSubnets(plan: readonly AzSubnets[]): [string, string][] {
    const all: string[] = plan.flatMap((az) => [az.public, az.private, az.isolated]);
    const parsed: Cidr[] = all.map(mustParseCidr);
    const pairs: [string, string][] = [];
    parsed.forEach((a, i) =>
        parsed.slice(i + 1).forEach((b, j) => overlaps(a, b) && pairs.push([all[i], all[i + j + 1]])),
    );
    return pairs;
}
