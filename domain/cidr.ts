/**
 * IPv4 CIDR arithmetic. Pure functions, no Pulumi: the subnet layout and the
 * config validation both rely on them, and they are tested on their own.
 */

/** A parsed IPv4 CIDR block: `base` is the network address as an unsigned 32-bit integer. */
export interface Cidr {
    readonly base: number;
    readonly prefix: number;
}

const CIDR_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/**
 * Parses `a.b.c.d/n`. Returns an error string instead of throwing so that config
 * validation can collect it with every other problem.
 */
export function parseCidr(text: string): Cidr | string {
    const match = CIDR_PATTERN.exec(text);
    if (!match) {
        return `"${text}" is not an IPv4 CIDR block like 10.40.0.0/16`;
    }
    const octets = match.slice(1, 5).map(Number);
    const prefix = Number(match[5]);
    if (octets.some((octet) => octet > 255)) {
        return `"${text}" has an octet above 255`;
    }
    if (prefix > 32) {
        return `"${text}" has a prefix length above 32`;
    }
    const address = octets.reduce((acc, octet) => acc * 256 + octet, 0);
    const base = networkAddress(address, prefix);
    if (base !== address) {
        return `"${text}" has host bits set; the network address is ${formatCidr({ base, prefix })}`;
    }
    return { base, prefix };
}

/** Parses a CIDR that is known to be valid (constants, or already validated config). */
export function mustParseCidr(text: string): Cidr {
    const parsed = parseCidr(text);
    if (typeof parsed === "string") {
        throw new Error(parsed);
    }
    return parsed;
}

export function formatCidr(cidr: Cidr): string {
    const octets = [24, 16, 8, 0].map((shift) => Math.floor(cidr.base / 2 ** shift) % 256);
    return `${octets.join(".")}/${cidr.prefix}`;
}

/** Number of addresses in the block. */
export function blockSize(prefix: number): number {
    return 2 ** (32 - prefix);
}

function networkAddress(address: number, prefix: number): number {
    const size = blockSize(prefix);
    return Math.floor(address / size) * size;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
    const aEnd = a.base + blockSize(a.prefix);
    const bEnd = b.base + blockSize(b.prefix);
    return a.base < bEnd && b.base < aEnd;
}

/** True when `inner` lies entirely within `outer`. */
export function contains(outer: Cidr, inner: Cidr): boolean {
    return (
        inner.prefix >= outer.prefix &&
        inner.base >= outer.base &&
        inner.base + blockSize(inner.prefix) <= outer.base + blockSize(outer.prefix)
    );
}

/**
 * The `index`-th block of length `prefix` inside `parent`, counting from the
 * parent's network address. Throws when it does not fit: callers size their
 * layouts so that it always does.
 */
export function subBlock(parent: Cidr, prefix: number, index: number): Cidr {
    if (prefix < parent.prefix) {
        throw new Error(`a /${prefix} does not fit in ${formatCidr(parent)}`);
    }
    const base = parent.base + index * blockSize(prefix);
    const block = { base, prefix };
    if (index < 0 || !contains(parent, block)) {
        throw new Error(`block ${index} of size /${prefix} is outside ${formatCidr(parent)}`);
    }
    return block;
}

/** RFC 1918 private ranges and the RFC 6598 shared range, which AWS accepts for VPCs. */
export const PRIVATE_RANGES: readonly Cidr[] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"].map(
    mustParseCidr,
);

/**
 * Some AWS services (and Docker's default bridge on the instances themselves)
 * use 172.17.0.0/16; the VPC user guide advises against it for a VPC.
 */
export const AWS_RESERVED_RANGE: Cidr = mustParseCidr("172.17.0.0/16");
