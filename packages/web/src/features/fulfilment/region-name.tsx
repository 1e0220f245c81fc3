import type { RegionDetail } from '../../api/types.ts';
import { useApi } from '../../app/use-api.ts';

/** A region's full name ("山东省潍坊市寿光市化龙镇…") in the reader's language. */
export function RegionName({ code }: { code: string }) {
  const region = useApi<{ region: RegionDetail }>(`/regions/${code}`);
  return <>{region.data?.region.fullName ?? code}</>;
}
