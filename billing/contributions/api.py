from flask_openapi3 import APIBlueprint, Tag

tag = Tag(name="contributions")
bp = APIBlueprint("contributions", __name__, url_prefix="/api/v1/contributions", abp_tags=[tag])
