// The HTTP methods a forward (and a grant) may use. No zod here: the popup bundle imports this.
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;
export type HttpMethodName = (typeof HTTP_METHODS)[number];
