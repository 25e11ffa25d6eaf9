variable "statements" {}
variable "sid" {}
resource "aws_s3_bucket" "b" { bucket = "phi" }
resource "aws_iam_policy" "read_only" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "${aws_s3_bucket.b.arn}/*" }]
  })
}
resource "aws_iam_policy" "admin" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Sid = var.sid, Effect = "Allow", Action = "*", Resource = "*" }]
  })
}
resource "aws_iam_policy" "whole_statements" {
  policy = jsonencode({ Version = "2012-10-17", Statement = var.statements })
}
resource "aws_iam_policy" "admin_on_unknown_resource" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "*", Resource = aws_s3_bucket.b.arn }]
  })
}
resource "aws_s3_bucket_policy" "tls" {
  bucket = aws_s3_bucket.b.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Deny", Principal = "*", Action = "s3:*", Resource = [aws_s3_bucket.b.arn, "${aws_s3_bucket.b.arn}/*"],
                   Condition = { Bool = { "aws:SecureTransport" = "false" } } }]
  })
}
resource "aws_s3_bucket_policy" "no_tls" {
  bucket = aws_s3_bucket.b.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::111122223333:root" }, Action = "s3:GetObject", Resource = "${aws_s3_bucket.b.arn}/*" }]
  })
}
