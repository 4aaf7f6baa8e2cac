export { Warehouse, warehouseDirFor, type WarehouseQueryResult, type WarehouseQueryable } from './warehouse';
export { WarehouseSink, type WarehouseSinkOptions, type WarehouseTarget } from './warehouse.sink';
