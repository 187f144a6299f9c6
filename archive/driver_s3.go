package archive

import _ "gocloud.dev/blob/s3blob" // s3://, for AWS S3 and any S3-compatible store

func init() { drivers["s3"] = true }
