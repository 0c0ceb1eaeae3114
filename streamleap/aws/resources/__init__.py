"""The AWS resources of one stream, one module per service: each reads its resource and plans the
changes (``streamleap.aws.plan``) that bring it to what ``streamleap.yml`` asks for."""
