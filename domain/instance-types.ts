/**
 * EC2 instance type names: validation and CPU architecture. Pure functions.
 *
 * The family list is deliberately explicit rather than a loose pattern: a typo
 * such as `t3.mircro` or `m9.large` must fail validation before `pulumi up`,
 * not after the instance API rejects it halfway through a deployment.
 */

/** Current-generation families we accept, by processor. Extend when AWS adds one. */
// prettier-ignore
const FAMILIES = {
    x86_64: [
        "t3", "t3a",
        "m5", "m5a", "m5d", "m5n", "m6a", "m6i", "m6id", "m6in", "m7a", "m7i", "m7i-flex", "m8a", "m8i",
        "c5", "c5a", "c5d", "c5n", "c6a", "c6i", "c6id", "c6in", "c7a", "c7i", "c7i-flex", "c8a", "c8i",
        "r5", "r5a", "r5b", "r5d", "r5n", "r6a", "r6i", "r6id", "r6in", "r7a", "r7i", "r7iz", "r8a", "r8i",
        "i3", "i3en", "i4i", "x2idn", "x2iedn", "z1d",
    ],
    arm64: [
        "t4g",
        "m6g", "m6gd", "m7g", "m7gd", "m8g", "m8gd",
        "c6g", "c6gd", "c6gn", "c7g", "c7gd", "c7gn", "c8g", "c8gd",
        "r6g", "r6gd", "r7g", "r7gd", "r8g", "r8gd",
        "i4g", "im4gn", "is4gen", "x2gd",
    ],
} as const;

export type Architecture = keyof typeof FAMILIES;

const ARCHITECTURE_BY_FAMILY: ReadonlyMap<string, Architecture> = new Map(
    (Object.keys(FAMILIES) as Architecture[]).flatMap((arch) =>
        FAMILIES[arch].map((family) => [family, arch] as const),
    ),
);

const SIZE_PATTERN =
    /^(nano|micro|small|medium|large|xlarge|(2|3|4|6|8|9|12|16|18|24|32|48|56|96|112)xlarge|metal|metal-\d+xl)$/;

/** Why `name` is not an EC2 instance type we accept, or undefined when it is one. */
export function instanceTypeProblem(name: string): string | undefined {
    const [family, size, ...rest] = name.split(".");
    if (size === undefined || rest.length > 0) {
        return `"${name}" is not an EC2 instance type of the form <family>.<size>, e.g. t3.small`;
    }
    if (!ARCHITECTURE_BY_FAMILY.has(family)) {
        return `"${name}" has unknown or previous-generation family "${family}"; use a current family such as t3, m7i, r7g`;
    }
    if (!SIZE_PATTERN.test(size)) {
        return `"${name}" has unknown size "${size}"; sizes look like micro, large, 2xlarge`;
    }
    if (family.startsWith("t") && !["nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"].includes(size)) {
        return `"${name}": burstable families stop at 2xlarge`;
    }
    return undefined;
}

/** The CPU architecture of a validated instance type; the AMI must match it. */
export function architectureOf(instanceType: string): Architecture {
    const arch = ARCHITECTURE_BY_FAMILY.get(instanceType.split(".")[0]);
    if (!arch) {
        throw new Error(`unvalidated instance type "${instanceType}"`);
    }
    return arch;
}

/** True for the burstable (CPU credit) families. */
export function isBurstable(instanceType: string): boolean {
    return /^t\d/.test(instanceType);
}

const BURSTABLE_MEMORY_GIB: Readonly<Record<string, number>> = {
    nano: 0.5,
    micro: 1,
    small: 2,
    medium: 4,
    large: 8,
    xlarge: 16,
    "2xlarge": 32,
};

/** GiB of memory per vCPU of the general-purpose (m), compute (c) and memory (r) families. */
const MEMORY_PER_VCPU: Readonly<Record<string, number>> = { m: 4, c: 2, r: 8 };

function vcpus(size: string): number | undefined {
    if (size === "medium") {
        return 1;
    }
    if (size === "large") {
        return 2;
    }
    const match = /^(\d*)xlarge$/.exec(size);
    return match ? 4 * Number(match[1] || 1) : undefined;
}

/**
 * Memory of a validated instance type in GiB, for the families whose memory
 * follows from their size (t, m, c, r); undefined for the others, which then
 * go unchecked rather than guessed.
 */
export function memoryGiB(instanceType: string): number | undefined {
    const [family, size] = instanceType.split(".");
    if (/^t\d/.test(family)) {
        return BURSTABLE_MEMORY_GIB[size];
    }
    const ratio = MEMORY_PER_VCPU[family[0]];
    const cpus = vcpus(size);
    return ratio !== undefined && cpus !== undefined && /^[mcr]\d/.test(family) ? ratio * cpus : undefined;
}
