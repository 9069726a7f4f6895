from flask_openapi3 import APIBlueprint, Tag

tag = Tag(name="mandates")
bp = APIBlueprint("mandates", __name__, url_prefix="/api/v1/mandates", abp_tags=[tag])
