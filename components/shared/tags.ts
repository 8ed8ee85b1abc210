/** Tags every resource carries, so that cost and ownership can be read off any of them. */
export type Tags = { readonly [key: string]: string };

export function baseTags(project: string, stack: string): Tags {
    return { project, stack, "managed-by": "pulumi" };
}

/** The base tags plus the component that owns the resource. */
export function componentTags(base: Tags, component: string, extra: Tags = {}): Tags {
    return { ...base, component, ...extra };
}
