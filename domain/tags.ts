/**
 * The tags every resource of the estate carries, so that cost and ownership
 * can be read off any of them, and where each resource type takes them. One
 * stack transform (stacks/tagging.ts) applies them; resources give only their
 * own (`Name`, `role`), which win over these.
 */
import { TAGGABLE_TYPES } from "./taggable-types";

export type Tags = { readonly [key: string]: string };

/** The project's own component types: `scale-tiers:<component>:<Class>`. */
const COMPONENT_TYPE_PREFIX = "scale-tiers:";

/** The tags of every resource of a stack that a component owns. */
export function estateTags(project: string, stack: string, component: string): Tags {
    return { project, stack, "managed-by": "pulumi", component };
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

/** Each element of the list `key` of `props` with the tags applied to its `tags`. */
function withTaggedElements(props: Props, key: string, tags: Tags): Props {
    const elements = props[key];
    return Array.isArray(elements)
        ? { ...props, [key]: elements.map((element) => withTagMap(element as Props, "tags", tags)) }
        : props;
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
        props.rootBlockDevice === undefined
            ? withTagMap(props, "tags", tags)
            : {
                  ...withTagMap(props, "tags", tags),
                  rootBlockDevice: withTagMap(props.rootBlockDevice as Props, "tags", tags),
              },
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
