-- (d) for PostGraphile: the customers a partner may see, as c360 decides it
-- (src/c360/customers/visibility.py): the newest partner-sharing consent row for
-- (customer, partner) grants (consents are append-only; ties broken by id).
-- Created by bench/run in its own `bench` schema, which only PostGraphile exposes.
CREATE SCHEMA IF NOT EXISTS bench;

CREATE OR REPLACE FUNCTION bench.partner_customers(partner_code text, after_id bigint)
RETURNS SETOF public.customer
LANGUAGE sql STABLE AS $$
  SELECT c.*
  FROM public.customer c
  WHERE c.id > after_id
    AND EXISTS (
      SELECT 1
      FROM public.consent s
      JOIN public.partner p ON p.id = s.partner_id
      WHERE s.customer_id = c.id
        AND s.purpose = 'partner_sharing'
        AND p.code = partner_code
        AND s.granted
        AND NOT EXISTS (
          SELECT 1 FROM public.consent n
          WHERE n.customer_id = s.customer_id AND n.purpose = s.purpose
            AND n.partner_id = s.partner_id
            AND (n.captured_at, n.id) > (s.captured_at, s.id)
        )
    )
  ORDER BY c.id
$$;
