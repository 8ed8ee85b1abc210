/**
 * The tags every resource of the estate carries, so that cost and ownership
 * can be read off any of them, and where each resource type takes them. One
 * stack transform (stacks/tagging.ts) applies them; resources give only their
 * own (`Name`, `role`), which win over these.
 */
import { SECRET_LIKE } from "./config-fields";
import { TAGGABLE_TYPES } from "./taggable-types";

export type Tags = { readonly [key: string]: string };

/** The project's own component types: `scale-tiers:<component>:<Class>`. */
const COMPONENT_TYPE_PREFIX = "scale-tiers:";

/** The keys the estate sets on every resource, which the stack's own tags may not use. */
export const ESTATE_TAG_KEYS = ["project", "stack", "managed-by", "component"] as const;

/** Keys a resource sets for itself; the program finds resources by some (deploys, snapshots). */
export const RESOURCE_TAG_KEYS = ["Name", "role"] as const;

/** The program's own keys (`scale-tiers:deploy-group`, `scale-tiers:snapshots`). */
export const PROGRAM_TAG_PREFIX = "scale-tiers:";

/** AWS allows 50 tags per resource; the estate, a resource's own and the program's use up to 10. */
export const MAX_STACK_TAGS = 40;

/**
 * The tags of every resource of a stack that a component owns: the stack's
 * own (`scale-tiers:tags`, say cost-center or owner) and the estate's.
 */
export function estateTags(project: string, stack: string, component: string, stackTags: Tags = {}): Tags {
    return { ...stackTags, project, stack, "managed-by": "pulumi", component };
}

/** Characters AWS accepts in tag keys and values across services. */
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

const TAG_CHARACTERS = "letters, digits, spaces and _ . : / = + - @";

/** What is wrong with `key: value` as one of the stack's own tags, and the fix; undefined if nothing. */
export function stackTagProblem(key: string, value: string): { problem: string; fix: string } | undefined {
    const reserved: readonly string[] = [...ESTATE_TAG_KEYS, ...RESOURCE_TAG_KEYS];
    if (reserved.includes(key) || key.startsWith(PROGRAM_TAG_PREFIX)) {
        return {
            problem: `the key "${key}" is the program's own`,
            fix: `rename it: the program sets ${[...reserved, `${PROGRAM_TAG_PREFIX}*`].join(", ")} itself`,
        };
    }
    if (SECRET_LIKE.test(key)) {
        return {
            problem: `the key "${key}" looks like it holds a secret, and tags are plain text to anyone who can list resources`,
            fix: "remove it: keep credentials in Secrets Manager",
        };
    }
    if (key.toLowerCase().startsWith("aws:")) {
        return { problem: `the key "${key}" starts with aws:, which AWS reserves`, fix: "drop the aws: prefix" };
    }
    if (key.length < 1 || key.length > 128 || !TAG_TEXT.test(key)) {
        return { problem: `the key "${key}" is not a tag key AWS accepts`, fix: `use 1 to 128 ${TAG_CHARACTERS}` };
    }
    if (value.length > 256 || !TAG_TEXT.test(value)) {
        return {
            problem: `the value of "${key}" is not a tag value AWS accepts`,
            fix: `use up to 256 ${TAG_CHARACTERS}`,
        };
    }
    return undefined;
}

/**
 * The component that owns a resource whose parent has URN `parentUrn`: the
 * module of the nearest `scale-tiers:` type in the parent's type chain, so a
 * resource of a resource of `scale-tiers:data:Database` belongs to `data`.
 * Undefined for a resource outside every component.
 */
export function owningComponent(parentUrn: string): string | undefined {
    // urn:pulumi:<stack>::<project>::<parent types, $-separated>::<name>
    const qualifiedType = parentUrn.split("::")[2] ?? "";
    const component = qualifiedType
        .split("$")
        .reverse()
        .find((type) => type.startsWith(COMPONENT_TYPE_PREFIX));
    return component?.split(":")[1];
}

type Props = Record<string, unknown>;

function tagMap(value: unknown): Tags {
    return (value ?? {}) as Tags;
}

/** The resource's own tags over the estate's: its `Name` and `role` win. */
function withTagMap(props: Props, key: string, tags: Tags): Props {
    return { ...props, [key]: { ...tags, ...tagMap(props[key]) } };
}

/** The nested block `key` of `props`, if given, with the tags applied to its `tags`. */
function withTaggedBlock(props: Props, key: string, tags: Tags): Props {
    const block = props[key];
    return block === undefined ? props : { ...props, [key]: withTagMap(block as Props, "tags", tags) };
}

/** Each element of the list `key` of `props` with the tags applied to its `tags`. */
function withTaggedElements(props: Props, key: string, tags: Tags): Props {
    const elements = props[key];
    return Array.isArray(elements)
        ? { ...props, [key]: elements.map((element) => withTagMap(element as Props, "tags", tags)) }
        : props;
}

function onlyEstateTags(tags: Tags): Tags {
    const estate: Readonly<Record<string, string>> = {};
    return ESTATE_TAG_KEYS.reduce((picked, key) => (key in tags ? { ...picked, [key]: tags[key] } : picked), estate);
}

interface AutoScalingGroupTag {
    readonly key: string;
    readonly value: string;
    readonly propagateAtLaunch: boolean;
}

/**
 * Where a type takes tags other than, or besides, a `tags` map. The rest of
 * TAGGABLE_TYPES take the map alone; any other type takes none.
 */
const TAG_SITES: Readonly<Record<string, (props: Props, tags: Tags) => Props>> = {
    // The root volume is created with the instance, and tagged through it.
    "aws:ec2/instance:Instance": (props, tags) =>
        withTaggedBlock(withTagMap(props, "tags", tags), "rootBlockDevice", tags),
    // What the template launches (instances, volumes, interfaces) is tagged by its tag specifications.
    "aws:ec2/launchTemplate:LaunchTemplate": (props, tags) =>
        withTaggedElements(withTagMap(props, "tags", tags), "tagSpecifications", tags),
    // A list, not a map. Not propagated: the launch template tags the instances, and a propagated
    // tag with the same key would override its.
    "aws:autoscaling/group:Group": (props, tags) => {
        const own = (props.tags ?? []) as readonly AutoScalingGroupTag[];
        const ownKeys = new Set(own.map((tag) => tag.key));
        const estate = Object.entries(tags)
            .filter(([key]) => !ownKeys.has(key))
            .map(([key, value]) => ({ key, value, propagateAtLaunch: false }));
        return { ...props, tags: [...estate, ...own] };
    },
    // An object takes at most 10 tags: the estate's, not the stack's own, which may be up to 40.
    "aws:s3/bucketObjectv2:BucketObjectv2": (props, tags) => withTagMap(props, "tags", onlyEstateTags(tags)),
    // awsx creates the subnets from these specs, in its own process.
    "awsx:ec2:Vpc": (props, tags) => withTaggedElements(withTagMap(props, "tags", tags), "subnetSpecs", tags),
};

/**
 * `props` of a resource of `type` with `tags` applied wherever the type
 * takes them, or undefined if it takes none.
 */
export function withTags(type: string, props: Props, tags: Tags): Props | undefined {
    const site = TAG_SITES[type];
    if (site) {
        return site(props, tags);
    }
    return TAGGABLE_TYPES.has(type) ? withTagMap(props, "tags", tags) : undefined;
}
