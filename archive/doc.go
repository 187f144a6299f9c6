// Package archive implements orchestrator.Archive over gocloud.dev/blob: games'
// snapshots and records kept off the engine's node (DESIGN §10), in a directory
// (file:///abs/dir), an S3-compatible bucket (s3://), Google Cloud Storage (gs://) or
// Azure Blob Storage (azblob://).
//
// # Layout
//
// Every object of a game lives under games/<uuid>/ (the game ID in its canonical
// lower-case form):
//
//	games/<uuid>/record.json                                  the game's record, as PutRecord was given it
//	games/<uuid>/snapshots/<line:04d>-<turn:08d>.json.zst     one snapshot document, zstd-compressed
//
// A snapshot object's blob metadata holds what Snapshots lists without downloading it:
//
//	sha256   hex SHA-256 of the uncompressed document (the engine's ETag)
//	size     the uncompressed document's size in bytes, decimal
//	created  when the snapshot was first archived, RFC 3339 with nanoseconds, UTC
//
// (the file backend keeps blob metadata in a "<object>.attrs" file beside each
// object, as gocloud's fileblob does). The compressed object is one zstd frame with
// its content size and checksum, so any zstd tool can read it.
//
// Snapshots are immutable: an object, once written, is never written again (writes
// are conditional on the key not existing), so a rollback files its turns in a new
// line. Every write is atomic per object: gocloud writers commit on Close (the file
// backend writes a temporary file beside the object and renames it), so a reader sees
// a whole object or none. Nothing else is stored: Games and Snapshots list keys.
//
// # Export files
//
// Export writes one tar stream (ustar) holding, in this order:
//
//	manifest.json                                   {"format":1,"gameId","record":{"size","sha256"},"snapshots":[SnapshotInfo...]}
//	record.json                                     the record
//	snapshots/<line:04d>-<turn:08d>.json.zst        every snapshot object as stored (compressed)
//
// Import reads such a stream, refusing entries that are not these names (absolute
// paths and ".." first of all), not regular files, or over the size limits, and
// checks every snapshot against the manifest's SHA-256 before it writes it; when the
// import fails half-way it deletes what it wrote.
//
// # Credentials
//
// Credentials come only from each SDK's standard chain (environment variables,
// shared config files, instance or workload identity): a URL with userinfo is
// refused, and the archive's String and its errors never show a URL's query or
// userinfo, nor the values of the SDKs' secret variables. The archive lists, reads,
// writes and deletes objects under games/ (on S3: s3:ListBucket, s3:GetObject,
// s3:PutObject, s3:DeleteObject); writes of snapshots are conditional (If-None-Match),
// which the store must support.
package archive
