from flask_openapi3 import APIBlueprint, Tag

tag = Tag(name="webhooks")
bp = APIBlueprint("webhooks", __name__, url_prefix="/api/v1/webhooks", abp_tags=[tag])
