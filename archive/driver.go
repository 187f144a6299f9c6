package archive

// The backends Open reaches by URL scheme (file:// is opened directly). Each registers
// itself with gocloud's default URL mux.
import (
	_ "gocloud.dev/blob/azureblob" // azblob://
	_ "gocloud.dev/blob/gcsblob"   // gs://
	_ "gocloud.dev/blob/s3blob"    // s3://
)
