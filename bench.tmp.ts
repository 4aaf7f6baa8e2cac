import { FileSource } from './libs/connectors/src/file/file.source';
(async () => { let t = Date.now(); let n = 0;
for await (const b of new FileSource({ kind: 'file', path: '/tmp/scratch/large.csv' }).read({ batchSize: 1000 })) n += b.rows.length;
console.log('source', Date.now() - t, n);
})();
