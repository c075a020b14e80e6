/**
 * Renders the configured greeting template. The template is split once at startup, so rendering is one
 * join per request, and a name containing "$&" or "{name}" is inserted literally.
 */
export const NAME_PLACEHOLDER = "{name}";

export function compileGreeting(template: string): (name: string) => string {
  const parts = template.split(NAME_PLACEHOLDER);
  return (name) => parts.join(name);
}
