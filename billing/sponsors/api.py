from flask_openapi3 import APIBlueprint, Tag

tag = Tag(name="sponsors")
bp = APIBlueprint("sponsors", __name__, url_prefix="/api/v1/sponsors", abp_tags=[tag])
