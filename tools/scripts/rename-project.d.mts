export function renameProject(root: string, name: string): { changed: number; name: string };
