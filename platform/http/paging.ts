import { z } from 'zod';

// Every list in the API pages the same way: ?offset=&limit= in, { items, total, offset, limit } out.
export const pageQuery = {
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0).describe('Items to skip'),
  limit: z.coerce.number().int().min(1).max(500).default(50).describe('Items to return (1–500)'),
};

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    total: z.number().int(),
    offset: z.number().int(),
    limit: z.number().int(),
  });
}
