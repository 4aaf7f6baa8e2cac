/** The columns of the orders CSV the data-plane benchmarks generate (csv-to-postgres, ingest-csv). */
export const ORDERS_COLUMNS = [
  'id',
  'customer_id',
  'email',
  'amount',
  'quantity',
  'status',
  'country',
  'created_at',
  'is_active',
  'note',
] as const;
