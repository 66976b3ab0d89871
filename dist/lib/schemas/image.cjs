"use strict";
var __getOwnPropNames = Object.getOwnPropertyNames;
var __commonJS = (cb, mod) => function __require() {
  try {
    return mod || (0, cb[__getOwnPropNames(cb)[0]])((mod = { exports: {} }).exports, mod), mod.exports;
  } catch (e) {
    throw mod = 0, e;
  }
};

// node_modules/ajv/dist/runtime/ucs2length.js
var require_ucs2length = __commonJS({
  "node_modules/ajv/dist/runtime/ucs2length.js"(exports2) {
    "use strict";
    Object.defineProperty(exports2, "__esModule", { value: true });
    function ucs2length(str) {
      const len = str.length;
      let length = 0;
      let pos = 0;
      let value;
      while (pos < len) {
        length++;
        value = str.charCodeAt(pos++);
        if (value >= 55296 && value <= 56319 && pos < len) {
          value = str.charCodeAt(pos);
          if ((value & 64512) === 56320)
            pos++;
        }
      }
      return length;
    }
    exports2.default = ucs2length;
    ucs2length.code = 'require("ajv/dist/runtime/ucs2length").default';
  }
});

// build/schemas/image.unbundled.cjs
exports.descriptor = validate10;
var pattern0 = new RegExp("^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$", "u");
var pattern1 = new RegExp("^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$", "u");
var func2 = require_ucs2length().default;
function validate10(data, { instancePath = "", parentData, parentDataProperty, rootData = data } = {}) {
  ;
  let vErrors = null;
  let errors = 0;
  if (errors === 0) {
    if (data && typeof data == "object" && !Array.isArray(data)) {
      let missing0;
      if (data.mediaType === void 0 && (missing0 = "mediaType") || data.digest === void 0 && (missing0 = "digest") || data.size === void 0 && (missing0 = "size")) {
        validate10.errors = [{ instancePath, schemaPath: "#/required", keyword: "required", params: { missingProperty: missing0 }, message: "must have required property '" + missing0 + "'" }];
        return false;
      } else {
        if (data.mediaType !== void 0) {
          let data0 = data.mediaType;
          const _errs1 = errors;
          if (errors === _errs1) {
            if (typeof data0 === "string") {
              if (!pattern0.test(data0)) {
                validate10.errors = [{ instancePath: instancePath + "/mediaType", schemaPath: "#/properties/mediaType/pattern", keyword: "pattern", params: { pattern: "^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$" }, message: 'must match pattern "^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$"' }];
                return false;
              }
            } else {
              validate10.errors = [{ instancePath: instancePath + "/mediaType", schemaPath: "#/properties/mediaType/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
              return false;
            }
          }
          var valid0 = _errs1 === errors;
        } else {
          var valid0 = true;
        }
        if (valid0) {
          if (data.digest !== void 0) {
            let data1 = data.digest;
            const _errs3 = errors;
            if (errors === _errs3) {
              if (typeof data1 === "string") {
                if (!pattern1.test(data1)) {
                  validate10.errors = [{ instancePath: instancePath + "/digest", schemaPath: "#/properties/digest/pattern", keyword: "pattern", params: { pattern: "^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$" }, message: 'must match pattern "^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$"' }];
                  return false;
                }
              } else {
                validate10.errors = [{ instancePath: instancePath + "/digest", schemaPath: "#/properties/digest/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                return false;
              }
            }
            var valid0 = _errs3 === errors;
          } else {
            var valid0 = true;
          }
          if (valid0) {
            if (data.size !== void 0) {
              let data2 = data.size;
              const _errs5 = errors;
              if (!(typeof data2 == "number" && (!(data2 % 1) && !isNaN(data2)))) {
                validate10.errors = [{ instancePath: instancePath + "/size", schemaPath: "#/properties/size/type", keyword: "type", params: { type: "integer" }, message: "must be integer" }];
                return false;
              }
              if (errors === _errs5) {
                if (typeof data2 == "number") {
                  if (data2 < 0 || isNaN(data2)) {
                    validate10.errors = [{ instancePath: instancePath + "/size", schemaPath: "#/properties/size/minimum", keyword: "minimum", params: { comparison: ">=", limit: 0 }, message: "must be >= 0" }];
                    return false;
                  }
                }
              }
              var valid0 = _errs5 === errors;
            } else {
              var valid0 = true;
            }
            if (valid0) {
              if (data.urls !== void 0) {
                let data3 = data.urls;
                const _errs7 = errors;
                if (errors === _errs7) {
                  if (Array.isArray(data3)) {
                    var valid1 = true;
                    const len0 = data3.length;
                    for (let i0 = 0; i0 < len0; i0++) {
                      const _errs9 = errors;
                      if (typeof data3[i0] !== "string") {
                        validate10.errors = [{ instancePath: instancePath + "/urls/" + i0, schemaPath: "#/properties/urls/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                        return false;
                      }
                      var valid1 = _errs9 === errors;
                      if (!valid1) {
                        break;
                      }
                    }
                  } else {
                    validate10.errors = [{ instancePath: instancePath + "/urls", schemaPath: "#/properties/urls/type", keyword: "type", params: { type: "array" }, message: "must be array" }];
                    return false;
                  }
                }
                var valid0 = _errs7 === errors;
              } else {
                var valid0 = true;
              }
              if (valid0) {
                if (data.annotations !== void 0) {
                  let data5 = data.annotations;
                  const _errs11 = errors;
                  if (errors === _errs11) {
                    if (data5 && typeof data5 == "object" && !Array.isArray(data5)) {
                      for (const key0 in data5) {
                        const _errs14 = errors;
                        if (typeof data5[key0] !== "string") {
                          validate10.errors = [{ instancePath: instancePath + "/annotations/" + key0.replace(/~/g, "~0").replace(/\//g, "~1"), schemaPath: "#/properties/annotations/additionalProperties/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                          return false;
                        }
                        var valid2 = _errs14 === errors;
                        if (!valid2) {
                          break;
                        }
                      }
                    } else {
                      validate10.errors = [{ instancePath: instancePath + "/annotations", schemaPath: "#/properties/annotations/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
                      return false;
                    }
                  }
                  var valid0 = _errs11 === errors;
                } else {
                  var valid0 = true;
                }
                if (valid0) {
                  if (data.artifactType !== void 0) {
                    const _errs16 = errors;
                    if (typeof data.artifactType !== "string") {
                      validate10.errors = [{ instancePath: instancePath + "/artifactType", schemaPath: "#/properties/artifactType/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                      return false;
                    }
                    var valid0 = _errs16 === errors;
                  } else {
                    var valid0 = true;
                  }
                  if (valid0) {
                    if (data.platform !== void 0) {
                      let data8 = data.platform;
                      const _errs18 = errors;
                      if (errors === _errs18) {
                        if (data8 && typeof data8 == "object" && !Array.isArray(data8)) {
                          let missing1;
                          if (data8.architecture === void 0 && (missing1 = "architecture") || data8.os === void 0 && (missing1 = "os")) {
                            validate10.errors = [{ instancePath: instancePath + "/platform", schemaPath: "#/properties/platform/required", keyword: "required", params: { missingProperty: missing1 }, message: "must have required property '" + missing1 + "'" }];
                            return false;
                          } else {
                            if (data8.architecture !== void 0) {
                              let data9 = data8.architecture;
                              const _errs20 = errors;
                              if (errors === _errs20) {
                                if (typeof data9 === "string") {
                                  if (func2(data9) < 1) {
                                    validate10.errors = [{ instancePath: instancePath + "/platform/architecture", schemaPath: "#/properties/platform/properties/architecture/minLength", keyword: "minLength", params: { limit: 1 }, message: "must NOT have fewer than 1 characters" }];
                                    return false;
                                  }
                                } else {
                                  validate10.errors = [{ instancePath: instancePath + "/platform/architecture", schemaPath: "#/properties/platform/properties/architecture/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                  return false;
                                }
                              }
                              var valid3 = _errs20 === errors;
                            } else {
                              var valid3 = true;
                            }
                            if (valid3) {
                              if (data8.os !== void 0) {
                                let data10 = data8.os;
                                const _errs22 = errors;
                                if (errors === _errs22) {
                                  if (typeof data10 === "string") {
                                    if (func2(data10) < 1) {
                                      validate10.errors = [{ instancePath: instancePath + "/platform/os", schemaPath: "#/properties/platform/properties/os/minLength", keyword: "minLength", params: { limit: 1 }, message: "must NOT have fewer than 1 characters" }];
                                      return false;
                                    }
                                  } else {
                                    validate10.errors = [{ instancePath: instancePath + "/platform/os", schemaPath: "#/properties/platform/properties/os/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                    return false;
                                  }
                                }
                                var valid3 = _errs22 === errors;
                              } else {
                                var valid3 = true;
                              }
                              if (valid3) {
                                if (data8["os.version"] !== void 0) {
                                  const _errs24 = errors;
                                  if (typeof data8["os.version"] !== "string") {
                                    validate10.errors = [{ instancePath: instancePath + "/platform/os.version", schemaPath: "#/properties/platform/properties/os.version/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                    return false;
                                  }
                                  var valid3 = _errs24 === errors;
                                } else {
                                  var valid3 = true;
                                }
                                if (valid3) {
                                  if (data8["os.features"] !== void 0) {
                                    let data12 = data8["os.features"];
                                    const _errs26 = errors;
                                    if (errors === _errs26) {
                                      if (Array.isArray(data12)) {
                                        var valid4 = true;
                                        const len1 = data12.length;
                                        for (let i1 = 0; i1 < len1; i1++) {
                                          const _errs28 = errors;
                                          if (typeof data12[i1] !== "string") {
                                            validate10.errors = [{ instancePath: instancePath + "/platform/os.features/" + i1, schemaPath: "#/properties/platform/properties/os.features/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                            return false;
                                          }
                                          var valid4 = _errs28 === errors;
                                          if (!valid4) {
                                            break;
                                          }
                                        }
                                      } else {
                                        validate10.errors = [{ instancePath: instancePath + "/platform/os.features", schemaPath: "#/properties/platform/properties/os.features/type", keyword: "type", params: { type: "array" }, message: "must be array" }];
                                        return false;
                                      }
                                    }
                                    var valid3 = _errs26 === errors;
                                  } else {
                                    var valid3 = true;
                                  }
                                  if (valid3) {
                                    if (data8.variant !== void 0) {
                                      const _errs30 = errors;
                                      if (typeof data8.variant !== "string") {
                                        validate10.errors = [{ instancePath: instancePath + "/platform/variant", schemaPath: "#/properties/platform/properties/variant/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                        return false;
                                      }
                                      var valid3 = _errs30 === errors;
                                    } else {
                                      var valid3 = true;
                                    }
                                    if (valid3) {
                                      if (data8.features !== void 0) {
                                        let data15 = data8.features;
                                        const _errs32 = errors;
                                        if (errors === _errs32) {
                                          if (Array.isArray(data15)) {
                                            var valid5 = true;
                                            const len2 = data15.length;
                                            for (let i2 = 0; i2 < len2; i2++) {
                                              const _errs34 = errors;
                                              if (typeof data15[i2] !== "string") {
                                                validate10.errors = [{ instancePath: instancePath + "/platform/features/" + i2, schemaPath: "#/properties/platform/properties/features/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                                return false;
                                              }
                                              var valid5 = _errs34 === errors;
                                              if (!valid5) {
                                                break;
                                              }
                                            }
                                          } else {
                                            validate10.errors = [{ instancePath: instancePath + "/platform/features", schemaPath: "#/properties/platform/properties/features/type", keyword: "type", params: { type: "array" }, message: "must be array" }];
                                            return false;
                                          }
                                        }
                                        var valid3 = _errs32 === errors;
                                      } else {
                                        var valid3 = true;
                                      }
                                    }
                                  }
                                }
                              }
                            }
                          }
                        } else {
                          validate10.errors = [{ instancePath: instancePath + "/platform", schemaPath: "#/properties/platform/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
                          return false;
                        }
                      }
                      var valid0 = _errs18 === errors;
                    } else {
                      var valid0 = true;
                    }
                  }
                }
              }
            }
          }
        }
      }
    } else {
      validate10.errors = [{ instancePath, schemaPath: "#/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
      return false;
    }
  }
  validate10.errors = vErrors;
  return errors === 0;
}
exports.manifest = validate11;
var schema12 = { "$id": "https://burrow.dev/schemas/manifest.schema.json", "title": "Image manifest (OCI image manifest v1 or Docker image manifest v2 schema 2)", "type": "object", "required": ["schemaVersion", "config", "layers"], "properties": { "schemaVersion": { "const": 2 }, "mediaType": { "enum": ["application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json"] }, "artifactType": { "type": "string" }, "config": { "$ref": "descriptor.schema.json" }, "layers": { "type": "array", "items": { "$ref": "descriptor.schema.json" } }, "subject": { "$ref": "descriptor.schema.json" }, "annotations": { "type": "object", "additionalProperties": { "type": "string" } } } };
function validate11(data, { instancePath = "", parentData, parentDataProperty, rootData = data } = {}) {
  ;
  let vErrors = null;
  let errors = 0;
  if (errors === 0) {
    if (data && typeof data == "object" && !Array.isArray(data)) {
      let missing0;
      if (data.schemaVersion === void 0 && (missing0 = "schemaVersion") || data.config === void 0 && (missing0 = "config") || data.layers === void 0 && (missing0 = "layers")) {
        validate11.errors = [{ instancePath, schemaPath: "#/required", keyword: "required", params: { missingProperty: missing0 }, message: "must have required property '" + missing0 + "'" }];
        return false;
      } else {
        if (data.schemaVersion !== void 0) {
          const _errs1 = errors;
          if (2 !== data.schemaVersion) {
            validate11.errors = [{ instancePath: instancePath + "/schemaVersion", schemaPath: "#/properties/schemaVersion/const", keyword: "const", params: { allowedValue: 2 }, message: "must be equal to constant" }];
            return false;
          }
          var valid0 = _errs1 === errors;
        } else {
          var valid0 = true;
        }
        if (valid0) {
          if (data.mediaType !== void 0) {
            let data1 = data.mediaType;
            const _errs2 = errors;
            if (!(data1 === "application/vnd.oci.image.manifest.v1+json" || data1 === "application/vnd.docker.distribution.manifest.v2+json")) {
              validate11.errors = [{ instancePath: instancePath + "/mediaType", schemaPath: "#/properties/mediaType/enum", keyword: "enum", params: { allowedValues: schema12.properties.mediaType.enum }, message: "must be equal to one of the allowed values" }];
              return false;
            }
            var valid0 = _errs2 === errors;
          } else {
            var valid0 = true;
          }
          if (valid0) {
            if (data.artifactType !== void 0) {
              const _errs3 = errors;
              if (typeof data.artifactType !== "string") {
                validate11.errors = [{ instancePath: instancePath + "/artifactType", schemaPath: "#/properties/artifactType/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                return false;
              }
              var valid0 = _errs3 === errors;
            } else {
              var valid0 = true;
            }
            if (valid0) {
              if (data.config !== void 0) {
                let data3 = data.config;
                const _errs5 = errors;
                const _errs6 = errors;
                if (errors === _errs6) {
                  if (data3 && typeof data3 == "object" && !Array.isArray(data3)) {
                    let missing1;
                    if (data3.mediaType === void 0 && (missing1 = "mediaType") || data3.digest === void 0 && (missing1 = "digest") || data3.size === void 0 && (missing1 = "size")) {
                      validate11.errors = [{ instancePath: instancePath + "/config", schemaPath: "descriptor.schema.json/required", keyword: "required", params: { missingProperty: missing1 }, message: "must have required property '" + missing1 + "'" }];
                      return false;
                    } else {
                      if (data3.mediaType !== void 0) {
                        let data4 = data3.mediaType;
                        const _errs8 = errors;
                        if (errors === _errs8) {
                          if (typeof data4 === "string") {
                            if (!pattern0.test(data4)) {
                              validate11.errors = [{ instancePath: instancePath + "/config/mediaType", schemaPath: "descriptor.schema.json/properties/mediaType/pattern", keyword: "pattern", params: { pattern: "^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$" }, message: 'must match pattern "^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$"' }];
                              return false;
                            }
                          } else {
                            validate11.errors = [{ instancePath: instancePath + "/config/mediaType", schemaPath: "descriptor.schema.json/properties/mediaType/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                            return false;
                          }
                        }
                        var valid2 = _errs8 === errors;
                      } else {
                        var valid2 = true;
                      }
                      if (valid2) {
                        if (data3.digest !== void 0) {
                          let data5 = data3.digest;
                          const _errs10 = errors;
                          if (errors === _errs10) {
                            if (typeof data5 === "string") {
                              if (!pattern1.test(data5)) {
                                validate11.errors = [{ instancePath: instancePath + "/config/digest", schemaPath: "descriptor.schema.json/properties/digest/pattern", keyword: "pattern", params: { pattern: "^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$" }, message: 'must match pattern "^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$"' }];
                                return false;
                              }
                            } else {
                              validate11.errors = [{ instancePath: instancePath + "/config/digest", schemaPath: "descriptor.schema.json/properties/digest/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                              return false;
                            }
                          }
                          var valid2 = _errs10 === errors;
                        } else {
                          var valid2 = true;
                        }
                        if (valid2) {
                          if (data3.size !== void 0) {
                            let data6 = data3.size;
                            const _errs12 = errors;
                            if (!(typeof data6 == "number" && (!(data6 % 1) && !isNaN(data6)))) {
                              validate11.errors = [{ instancePath: instancePath + "/config/size", schemaPath: "descriptor.schema.json/properties/size/type", keyword: "type", params: { type: "integer" }, message: "must be integer" }];
                              return false;
                            }
                            if (errors === _errs12) {
                              if (typeof data6 == "number") {
                                if (data6 < 0 || isNaN(data6)) {
                                  validate11.errors = [{ instancePath: instancePath + "/config/size", schemaPath: "descriptor.schema.json/properties/size/minimum", keyword: "minimum", params: { comparison: ">=", limit: 0 }, message: "must be >= 0" }];
                                  return false;
                                }
                              }
                            }
                            var valid2 = _errs12 === errors;
                          } else {
                            var valid2 = true;
                          }
                          if (valid2) {
                            if (data3.urls !== void 0) {
                              let data7 = data3.urls;
                              const _errs14 = errors;
                              if (errors === _errs14) {
                                if (Array.isArray(data7)) {
                                  var valid3 = true;
                                  const len0 = data7.length;
                                  for (let i0 = 0; i0 < len0; i0++) {
                                    const _errs16 = errors;
                                    if (typeof data7[i0] !== "string") {
                                      validate11.errors = [{ instancePath: instancePath + "/config/urls/" + i0, schemaPath: "descriptor.schema.json/properties/urls/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                      return false;
                                    }
                                    var valid3 = _errs16 === errors;
                                    if (!valid3) {
                                      break;
                                    }
                                  }
                                } else {
                                  validate11.errors = [{ instancePath: instancePath + "/config/urls", schemaPath: "descriptor.schema.json/properties/urls/type", keyword: "type", params: { type: "array" }, message: "must be array" }];
                                  return false;
                                }
                              }
                              var valid2 = _errs14 === errors;
                            } else {
                              var valid2 = true;
                            }
                            if (valid2) {
                              if (data3.annotations !== void 0) {
                                let data9 = data3.annotations;
                                const _errs18 = errors;
                                if (errors === _errs18) {
                                  if (data9 && typeof data9 == "object" && !Array.isArray(data9)) {
                                    for (const key0 in data9) {
                                      const _errs21 = errors;
                                      if (typeof data9[key0] !== "string") {
                                        validate11.errors = [{ instancePath: instancePath + "/config/annotations/" + key0.replace(/~/g, "~0").replace(/\//g, "~1"), schemaPath: "descriptor.schema.json/properties/annotations/additionalProperties/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                        return false;
                                      }
                                      var valid4 = _errs21 === errors;
                                      if (!valid4) {
                                        break;
                                      }
                                    }
                                  } else {
                                    validate11.errors = [{ instancePath: instancePath + "/config/annotations", schemaPath: "descriptor.schema.json/properties/annotations/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
                                    return false;
                                  }
                                }
                                var valid2 = _errs18 === errors;
                              } else {
                                var valid2 = true;
                              }
                              if (valid2) {
                                if (data3.artifactType !== void 0) {
                                  const _errs23 = errors;
                                  if (typeof data3.artifactType !== "string") {
                                    validate11.errors = [{ instancePath: instancePath + "/config/artifactType", schemaPath: "descriptor.schema.json/properties/artifactType/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                    return false;
                                  }
                                  var valid2 = _errs23 === errors;
                                } else {
                                  var valid2 = true;
                                }
                                if (valid2) {
                                  if (data3.platform !== void 0) {
                                    let data12 = data3.platform;
                                    const _errs25 = errors;
                                    if (errors === _errs25) {
                                      if (data12 && typeof data12 == "object" && !Array.isArray(data12)) {
                                        let missing2;
                                        if (data12.architecture === void 0 && (missing2 = "architecture") || data12.os === void 0 && (missing2 = "os")) {
                                          validate11.errors = [{ instancePath: instancePath + "/config/platform", schemaPath: "descriptor.schema.json/properties/platform/required", keyword: "required", params: { missingProperty: missing2 }, message: "must have required property '" + missing2 + "'" }];
                                          return false;
                                        } else {
                                          if (data12.architecture !== void 0) {
                                            let data13 = data12.architecture;
                                            const _errs27 = errors;
                                            if (errors === _errs27) {
                                              if (typeof data13 === "string") {
                                                if (func2(data13) < 1) {
                                                  validate11.errors = [{ instancePath: instancePath + "/config/platform/architecture", schemaPath: "descriptor.schema.json/properties/platform/properties/architecture/minLength", keyword: "minLength", params: { limit: 1 }, message: "must NOT have fewer than 1 characters" }];
                                                  return false;
                                                }
                                              } else {
                                                validate11.errors = [{ instancePath: instancePath + "/config/platform/architecture", schemaPath: "descriptor.schema.json/properties/platform/properties/architecture/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                                return false;
                                              }
                                            }
                                            var valid5 = _errs27 === errors;
                                          } else {
                                            var valid5 = true;
                                          }
                                          if (valid5) {
                                            if (data12.os !== void 0) {
                                              let data14 = data12.os;
                                              const _errs29 = errors;
                                              if (errors === _errs29) {
                                                if (typeof data14 === "string") {
                                                  if (func2(data14) < 1) {
                                                    validate11.errors = [{ instancePath: instancePath + "/config/platform/os", schemaPath: "descriptor.schema.json/properties/platform/properties/os/minLength", keyword: "minLength", params: { limit: 1 }, message: "must NOT have fewer than 1 characters" }];
                                                    return false;
                                                  }
                                                } else {
                                                  validate11.errors = [{ instancePath: instancePath + "/config/platform/os", schemaPath: "descriptor.schema.json/properties/platform/properties/os/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                                  return false;
                                                }
                                              }
                                              var valid5 = _errs29 === errors;
                                            } else {
                                              var valid5 = true;
                                            }
                                            if (valid5) {
                                              if (data12["os.version"] !== void 0) {
                                                const _errs31 = errors;
                                                if (typeof data12["os.version"] !== "string") {
                                                  validate11.errors = [{ instancePath: instancePath + "/config/platform/os.version", schemaPath: "descriptor.schema.json/properties/platform/properties/os.version/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                                  return false;
                                                }
                                                var valid5 = _errs31 === errors;
                                              } else {
                                                var valid5 = true;
                                              }
                                              if (valid5) {
                                                if (data12["os.features"] !== void 0) {
                                                  let data16 = data12["os.features"];
                                                  const _errs33 = errors;
                                                  if (errors === _errs33) {
                                                    if (Array.isArray(data16)) {
                                                      var valid6 = true;
                                                      const len1 = data16.length;
                                                      for (let i1 = 0; i1 < len1; i1++) {
                                                        const _errs35 = errors;
                                                        if (typeof data16[i1] !== "string") {
                                                          validate11.errors = [{ instancePath: instancePath + "/config/platform/os.features/" + i1, schemaPath: "descriptor.schema.json/properties/platform/properties/os.features/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                                          return false;
                                                        }
                                                        var valid6 = _errs35 === errors;
                                                        if (!valid6) {
                                                          break;
                                                        }
                                                      }
                                                    } else {
                                                      validate11.errors = [{ instancePath: instancePath + "/config/platform/os.features", schemaPath: "descriptor.schema.json/properties/platform/properties/os.features/type", keyword: "type", params: { type: "array" }, message: "must be array" }];
                                                      return false;
                                                    }
                                                  }
                                                  var valid5 = _errs33 === errors;
                                                } else {
                                                  var valid5 = true;
                                                }
                                                if (valid5) {
                                                  if (data12.variant !== void 0) {
                                                    const _errs37 = errors;
                                                    if (typeof data12.variant !== "string") {
                                                      validate11.errors = [{ instancePath: instancePath + "/config/platform/variant", schemaPath: "descriptor.schema.json/properties/platform/properties/variant/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                                      return false;
                                                    }
                                                    var valid5 = _errs37 === errors;
                                                  } else {
                                                    var valid5 = true;
                                                  }
                                                  if (valid5) {
                                                    if (data12.features !== void 0) {
                                                      let data19 = data12.features;
                                                      const _errs39 = errors;
                                                      if (errors === _errs39) {
                                                        if (Array.isArray(data19)) {
                                                          var valid7 = true;
                                                          const len2 = data19.length;
                                                          for (let i2 = 0; i2 < len2; i2++) {
                                                            const _errs41 = errors;
                                                            if (typeof data19[i2] !== "string") {
                                                              validate11.errors = [{ instancePath: instancePath + "/config/platform/features/" + i2, schemaPath: "descriptor.schema.json/properties/platform/properties/features/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                                              return false;
                                                            }
                                                            var valid7 = _errs41 === errors;
                                                            if (!valid7) {
                                                              break;
                                                            }
                                                          }
                                                        } else {
                                                          validate11.errors = [{ instancePath: instancePath + "/config/platform/features", schemaPath: "descriptor.schema.json/properties/platform/properties/features/type", keyword: "type", params: { type: "array" }, message: "must be array" }];
                                                          return false;
                                                        }
                                                      }
                                                      var valid5 = _errs39 === errors;
                                                    } else {
                                                      var valid5 = true;
                                                    }
                                                  }
                                                }
                                              }
                                            }
                                          }
                                        }
                                      } else {
                                        validate11.errors = [{ instancePath: instancePath + "/config/platform", schemaPath: "descriptor.schema.json/properties/platform/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
                                        return false;
                                      }
                                    }
                                    var valid2 = _errs25 === errors;
                                  } else {
                                    var valid2 = true;
                                  }
                                }
                              }
                            }
                          }
                        }
                      }
                    }
                  } else {
                    validate11.errors = [{ instancePath: instancePath + "/config", schemaPath: "descriptor.schema.json/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
                    return false;
                  }
                }
                var valid0 = _errs5 === errors;
              } else {
                var valid0 = true;
              }
              if (valid0) {
                if (data.layers !== void 0) {
                  let data21 = data.layers;
                  const _errs43 = errors;
                  if (errors === _errs43) {
                    if (Array.isArray(data21)) {
                      var valid8 = true;
                      const len3 = data21.length;
                      for (let i3 = 0; i3 < len3; i3++) {
                        let data22 = data21[i3];
                        const _errs45 = errors;
                        const _errs46 = errors;
                        if (errors === _errs46) {
                          if (data22 && typeof data22 == "object" && !Array.isArray(data22)) {
                            let missing3;
                            if (data22.mediaType === void 0 && (missing3 = "mediaType") || data22.digest === void 0 && (missing3 = "digest") || data22.size === void 0 && (missing3 = "size")) {
                              validate11.errors = [{ instancePath: instancePath + "/layers/" + i3, schemaPath: "descriptor.schema.json/required", keyword: "required", params: { missingProperty: missing3 }, message: "must have required property '" + missing3 + "'" }];
                              return false;
                            } else {
                              if (data22.mediaType !== void 0) {
                                let data23 = data22.mediaType;
                                const _errs48 = errors;
                                if (errors === _errs48) {
                                  if (typeof data23 === "string") {
                                    if (!pattern0.test(data23)) {
                                      validate11.errors = [{ instancePath: instancePath + "/layers/" + i3 + "/mediaType", schemaPath: "descriptor.schema.json/properties/mediaType/pattern", keyword: "pattern", params: { pattern: "^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$" }, message: 'must match pattern "^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$"' }];
                                      return false;
                                    }
                                  } else {
                                    validate11.errors = [{ instancePath: instancePath + "/layers/" + i3 + "/mediaType", schemaPath: "descriptor.schema.json/properties/mediaType/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                    return false;
                                  }
                                }
                                var valid10 = _errs48 === errors;
                              } else {
                                var valid10 = true;
                              }
                              if (valid10) {
                                if (data22.digest !== void 0) {
                                  let data24 = data22.digest;
                                  const _errs50 = errors;
                                  if (errors === _errs50) {
                                    if (typeof data24 === "string") {
                                      if (!pattern1.test(data24)) {
                                        validate11.errors = [{ instancePath: instancePath + "/layers/" + i3 + "/digest", schemaPath: "descriptor.schema.json/properties/digest/pattern", keyword: "pattern", params: { pattern: "^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$" }, message: 'must match pattern "^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$"' }];
                                        return false;
                                      }
                                    } else {
                                      validate11.errors = [{ instancePath: instancePath + "/layers/" + i3 + "/digest", schemaPath: "descriptor.schema.json/properties/digest/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                      return false;
                                    }
                                  }
                                  var valid10 = _errs50 === errors;
                                } else {
                                  var valid10 = true;
                                }
                                if (valid10) {
                                  if (data22.size !== void 0) {
                                    let data25 = data22.size;
                                    const _errs52 = errors;
                                    if (!(typeof data25 == "number" && (!(data25 % 1) && !isNaN(data25)))) {
                                      validate11.errors = [{ instancePath: instancePath + "/layers/" + i3 + "/size", schemaPath: "descriptor.schema.json/properties/size/type", keyword: "type", params: { type: "integer" }, message: "must be integer" }];
                                      return false;
                                    }
                                    if (errors === _errs52) {
                                      if (typeof data25 == "number") {
                                        if (data25 < 0 || isNaN(data25)) {
                                          validate11.errors = [{ instancePath: instancePath + "/layers/" + i3 + "/size", schemaPath: "descriptor.schema.json/properties/size/minimum", keyword: "minimum", params: { comparison: ">=", limit: 0 }, message: "must be >= 0" }];
                                          return false;
                                        }
                                      }
                                    }
                                    var valid10 = _errs52 === errors;
                                  } else {
                                    var valid10 = true;
                                  }
                                  if (valid10) {
                                    if (data22.urls !== void 0) {
                                      let data26 = data22.urls;
                                      const _errs54 = errors;
                                      if (errors === _errs54) {
                                        if (Array.isArray(data26)) {
                                          var valid11 = true;
                                          const len4 = data26.length;
                                          for (let i4 = 0; i4 < len4; i4++) {
                                            const _errs56 = errors;
                                            if (typeof data26[i4] !== "string") {
                                              validate11.errors = [{ instancePath: instancePath + "/layers/" + i3 + "/urls/" + i4, schemaPath: "descriptor.schema.json/properties/urls/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                              return false;
                                            }
                                            var valid11 = _errs56 === errors;
                                            if (!valid11) {
                                              break;
                                            }
                                          }
                                        } else {
                                          validate11.errors = [{ instancePath: instancePath + "/layers/" + i3 + "/urls", schemaPath: "descriptor.schema.json/properties/urls/type", keyword: "type", params: { type: "array" }, message: "must be array" }];
                                          return false;
                                        }
                                      }
                                      var valid10 = _errs54 === errors;
                                    } else {
                                      var valid10 = true;
                                    }
                                    if (valid10) {
                                      if (data22.annotations !== void 0) {
                                        let data28 = data22.annotations;
                                        const _errs58 = errors;
                                        if (errors === _errs58) {
                                          if (data28 && typeof data28 == "object" && !Array.isArray(data28)) {
                                            for (const key1 in data28) {
                                              const _errs61 = errors;
                                              if (typeof data28[key1] !== "string") {
                                                validate11.errors = [{ instancePath: instancePath + "/layers/" + i3 + "/annotations/" + key1.replace(/~/g, "~0").replace(/\//g, "~1"), schemaPath: "descriptor.schema.json/properties/annotations/additionalProperties/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                                return false;
                                              }
                                              var valid12 = _errs61 === errors;
                                              if (!valid12) {
                                                break;
                                              }
                                            }
                                          } else {
                                            validate11.errors = [{ instancePath: instancePath + "/layers/" + i3 + "/annotations", schemaPath: "descriptor.schema.json/properties/annotations/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
                                            return false;
                                          }
                                        }
                                        var valid10 = _errs58 === errors;
                                      } else {
                                        var valid10 = true;
                                      }
                                      if (valid10) {
                                        if (data22.artifactType !== void 0) {
                                          const _errs63 = errors;
                                          if (typeof data22.artifactType !== "string") {
                                            validate11.errors = [{ instancePath: instancePath + "/layers/" + i3 + "/artifactType", schemaPath: "descriptor.schema.json/properties/artifactType/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                            return false;
                                          }
                                          var valid10 = _errs63 === errors;
                                        } else {
                                          var valid10 = true;
                                        }
                                        if (valid10) {
                                          if (data22.platform !== void 0) {
                                            let data31 = data22.platform;
                                            const _errs65 = errors;
                                            if (errors === _errs65) {
                                              if (data31 && typeof data31 == "object" && !Array.isArray(data31)) {
                                                let missing4;
                                                if (data31.architecture === void 0 && (missing4 = "architecture") || data31.os === void 0 && (missing4 = "os")) {
                                                  validate11.errors = [{ instancePath: instancePath + "/layers/" + i3 + "/platform", schemaPath: "descriptor.schema.json/properties/platform/required", keyword: "required", params: { missingProperty: missing4 }, message: "must have required property '" + missing4 + "'" }];
                                                  return false;
                                                } else {
                                                  if (data31.architecture !== void 0) {
                                                    let data32 = data31.architecture;
                                                    const _errs67 = errors;
                                                    if (errors === _errs67) {
                                                      if (typeof data32 === "string") {
                                                        if (func2(data32) < 1) {
                                                          validate11.errors = [{ instancePath: instancePath + "/layers/" + i3 + "/platform/architecture", schemaPath: "descriptor.schema.json/properties/platform/properties/architecture/minLength", keyword: "minLength", params: { limit: 1 }, message: "must NOT have fewer than 1 characters" }];
                                                          return false;
                                                        }
                                                      } else {
                                                        validate11.errors = [{ instancePath: instancePath + "/layers/" + i3 + "/platform/architecture", schemaPath: "descriptor.schema.json/properties/platform/properties/architecture/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                                        return false;
                                                      }
                                                    }
                                                    var valid13 = _errs67 === errors;
                                                  } else {
                                                    var valid13 = true;
                                                  }
                                                  if (valid13) {
                                                    if (data31.os !== void 0) {
                                                      let data33 = data31.os;
                                                      const _errs69 = errors;
                                                      if (errors === _errs69) {
                                                        if (typeof data33 === "string") {
                                                          if (func2(data33) < 1) {
                                                            validate11.errors = [{ instancePath: instancePath + "/layers/" + i3 + "/platform/os", schemaPath: "descriptor.schema.json/properties/platform/properties/os/minLength", keyword: "minLength", params: { limit: 1 }, message: "must NOT have fewer than 1 characters" }];
                                                            return false;
                                                          }
                                                        } else {
                                                          validate11.errors = [{ instancePath: instancePath + "/layers/" + i3 + "/platform/os", schemaPath: "descriptor.schema.json/properties/platform/properties/os/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                                          return false;
                                                        }
                                                      }
                                                      var valid13 = _errs69 === errors;
                                                    } else {
                                                      var valid13 = true;
                                                    }
                                                    if (valid13) {
                                                      if (data31["os.version"] !== void 0) {
                                                        const _errs71 = errors;
                                                        if (typeof data31["os.version"] !== "string") {
                                                          validate11.errors = [{ instancePath: instancePath + "/layers/" + i3 + "/platform/os.version", schemaPath: "descriptor.schema.json/properties/platform/properties/os.version/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                                          return false;
                                                        }
                                                        var valid13 = _errs71 === errors;
                                                      } else {
                                                        var valid13 = true;
                                                      }
                                                      if (valid13) {
                                                        if (data31["os.features"] !== void 0) {
                                                          let data35 = data31["os.features"];
                                                          const _errs73 = errors;
                                                          if (errors === _errs73) {
                                                            if (Array.isArray(data35)) {
                                                              var valid14 = true;
                                                              const len5 = data35.length;
                                                              for (let i5 = 0; i5 < len5; i5++) {
                                                                const _errs75 = errors;
                                                                if (typeof data35[i5] !== "string") {
                                                                  validate11.errors = [{ instancePath: instancePath + "/layers/" + i3 + "/platform/os.features/" + i5, schemaPath: "descriptor.schema.json/properties/platform/properties/os.features/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                                                  return false;
                                                                }
                                                                var valid14 = _errs75 === errors;
                                                                if (!valid14) {
                                                                  break;
                                                                }
                                                              }
                                                            } else {
                                                              validate11.errors = [{ instancePath: instancePath + "/layers/" + i3 + "/platform/os.features", schemaPath: "descriptor.schema.json/properties/platform/properties/os.features/type", keyword: "type", params: { type: "array" }, message: "must be array" }];
                                                              return false;
                                                            }
                                                          }
                                                          var valid13 = _errs73 === errors;
                                                        } else {
                                                          var valid13 = true;
                                                        }
                                                        if (valid13) {
                                                          if (data31.variant !== void 0) {
                                                            const _errs77 = errors;
                                                            if (typeof data31.variant !== "string") {
                                                              validate11.errors = [{ instancePath: instancePath + "/layers/" + i3 + "/platform/variant", schemaPath: "descriptor.schema.json/properties/platform/properties/variant/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                                              return false;
                                                            }
                                                            var valid13 = _errs77 === errors;
                                                          } else {
                                                            var valid13 = true;
                                                          }
                                                          if (valid13) {
                                                            if (data31.features !== void 0) {
                                                              let data38 = data31.features;
                                                              const _errs79 = errors;
                                                              if (errors === _errs79) {
                                                                if (Array.isArray(data38)) {
                                                                  var valid15 = true;
                                                                  const len6 = data38.length;
                                                                  for (let i6 = 0; i6 < len6; i6++) {
                                                                    const _errs81 = errors;
                                                                    if (typeof data38[i6] !== "string") {
                                                                      validate11.errors = [{ instancePath: instancePath + "/layers/" + i3 + "/platform/features/" + i6, schemaPath: "descriptor.schema.json/properties/platform/properties/features/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                                                      return false;
                                                                    }
                                                                    var valid15 = _errs81 === errors;
                                                                    if (!valid15) {
                                                                      break;
                                                                    }
                                                                  }
                                                                } else {
                                                                  validate11.errors = [{ instancePath: instancePath + "/layers/" + i3 + "/platform/features", schemaPath: "descriptor.schema.json/properties/platform/properties/features/type", keyword: "type", params: { type: "array" }, message: "must be array" }];
                                                                  return false;
                                                                }
                                                              }
                                                              var valid13 = _errs79 === errors;
                                                            } else {
                                                              var valid13 = true;
                                                            }
                                                          }
                                                        }
                                                      }
                                                    }
                                                  }
                                                }
                                              } else {
                                                validate11.errors = [{ instancePath: instancePath + "/layers/" + i3 + "/platform", schemaPath: "descriptor.schema.json/properties/platform/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
                                                return false;
                                              }
                                            }
                                            var valid10 = _errs65 === errors;
                                          } else {
                                            var valid10 = true;
                                          }
                                        }
                                      }
                                    }
                                  }
                                }
                              }
                            }
                          } else {
                            validate11.errors = [{ instancePath: instancePath + "/layers/" + i3, schemaPath: "descriptor.schema.json/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
                            return false;
                          }
                        }
                        var valid8 = _errs45 === errors;
                        if (!valid8) {
                          break;
                        }
                      }
                    } else {
                      validate11.errors = [{ instancePath: instancePath + "/layers", schemaPath: "#/properties/layers/type", keyword: "type", params: { type: "array" }, message: "must be array" }];
                      return false;
                    }
                  }
                  var valid0 = _errs43 === errors;
                } else {
                  var valid0 = true;
                }
                if (valid0) {
                  if (data.subject !== void 0) {
                    let data40 = data.subject;
                    const _errs83 = errors;
                    const _errs84 = errors;
                    if (errors === _errs84) {
                      if (data40 && typeof data40 == "object" && !Array.isArray(data40)) {
                        let missing5;
                        if (data40.mediaType === void 0 && (missing5 = "mediaType") || data40.digest === void 0 && (missing5 = "digest") || data40.size === void 0 && (missing5 = "size")) {
                          validate11.errors = [{ instancePath: instancePath + "/subject", schemaPath: "descriptor.schema.json/required", keyword: "required", params: { missingProperty: missing5 }, message: "must have required property '" + missing5 + "'" }];
                          return false;
                        } else {
                          if (data40.mediaType !== void 0) {
                            let data41 = data40.mediaType;
                            const _errs86 = errors;
                            if (errors === _errs86) {
                              if (typeof data41 === "string") {
                                if (!pattern0.test(data41)) {
                                  validate11.errors = [{ instancePath: instancePath + "/subject/mediaType", schemaPath: "descriptor.schema.json/properties/mediaType/pattern", keyword: "pattern", params: { pattern: "^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$" }, message: 'must match pattern "^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$"' }];
                                  return false;
                                }
                              } else {
                                validate11.errors = [{ instancePath: instancePath + "/subject/mediaType", schemaPath: "descriptor.schema.json/properties/mediaType/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                return false;
                              }
                            }
                            var valid17 = _errs86 === errors;
                          } else {
                            var valid17 = true;
                          }
                          if (valid17) {
                            if (data40.digest !== void 0) {
                              let data42 = data40.digest;
                              const _errs88 = errors;
                              if (errors === _errs88) {
                                if (typeof data42 === "string") {
                                  if (!pattern1.test(data42)) {
                                    validate11.errors = [{ instancePath: instancePath + "/subject/digest", schemaPath: "descriptor.schema.json/properties/digest/pattern", keyword: "pattern", params: { pattern: "^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$" }, message: 'must match pattern "^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$"' }];
                                    return false;
                                  }
                                } else {
                                  validate11.errors = [{ instancePath: instancePath + "/subject/digest", schemaPath: "descriptor.schema.json/properties/digest/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                  return false;
                                }
                              }
                              var valid17 = _errs88 === errors;
                            } else {
                              var valid17 = true;
                            }
                            if (valid17) {
                              if (data40.size !== void 0) {
                                let data43 = data40.size;
                                const _errs90 = errors;
                                if (!(typeof data43 == "number" && (!(data43 % 1) && !isNaN(data43)))) {
                                  validate11.errors = [{ instancePath: instancePath + "/subject/size", schemaPath: "descriptor.schema.json/properties/size/type", keyword: "type", params: { type: "integer" }, message: "must be integer" }];
                                  return false;
                                }
                                if (errors === _errs90) {
                                  if (typeof data43 == "number") {
                                    if (data43 < 0 || isNaN(data43)) {
                                      validate11.errors = [{ instancePath: instancePath + "/subject/size", schemaPath: "descriptor.schema.json/properties/size/minimum", keyword: "minimum", params: { comparison: ">=", limit: 0 }, message: "must be >= 0" }];
                                      return false;
                                    }
                                  }
                                }
                                var valid17 = _errs90 === errors;
                              } else {
                                var valid17 = true;
                              }
                              if (valid17) {
                                if (data40.urls !== void 0) {
                                  let data44 = data40.urls;
                                  const _errs92 = errors;
                                  if (errors === _errs92) {
                                    if (Array.isArray(data44)) {
                                      var valid18 = true;
                                      const len7 = data44.length;
                                      for (let i7 = 0; i7 < len7; i7++) {
                                        const _errs94 = errors;
                                        if (typeof data44[i7] !== "string") {
                                          validate11.errors = [{ instancePath: instancePath + "/subject/urls/" + i7, schemaPath: "descriptor.schema.json/properties/urls/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                          return false;
                                        }
                                        var valid18 = _errs94 === errors;
                                        if (!valid18) {
                                          break;
                                        }
                                      }
                                    } else {
                                      validate11.errors = [{ instancePath: instancePath + "/subject/urls", schemaPath: "descriptor.schema.json/properties/urls/type", keyword: "type", params: { type: "array" }, message: "must be array" }];
                                      return false;
                                    }
                                  }
                                  var valid17 = _errs92 === errors;
                                } else {
                                  var valid17 = true;
                                }
                                if (valid17) {
                                  if (data40.annotations !== void 0) {
                                    let data46 = data40.annotations;
                                    const _errs96 = errors;
                                    if (errors === _errs96) {
                                      if (data46 && typeof data46 == "object" && !Array.isArray(data46)) {
                                        for (const key2 in data46) {
                                          const _errs99 = errors;
                                          if (typeof data46[key2] !== "string") {
                                            validate11.errors = [{ instancePath: instancePath + "/subject/annotations/" + key2.replace(/~/g, "~0").replace(/\//g, "~1"), schemaPath: "descriptor.schema.json/properties/annotations/additionalProperties/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                            return false;
                                          }
                                          var valid19 = _errs99 === errors;
                                          if (!valid19) {
                                            break;
                                          }
                                        }
                                      } else {
                                        validate11.errors = [{ instancePath: instancePath + "/subject/annotations", schemaPath: "descriptor.schema.json/properties/annotations/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
                                        return false;
                                      }
                                    }
                                    var valid17 = _errs96 === errors;
                                  } else {
                                    var valid17 = true;
                                  }
                                  if (valid17) {
                                    if (data40.artifactType !== void 0) {
                                      const _errs101 = errors;
                                      if (typeof data40.artifactType !== "string") {
                                        validate11.errors = [{ instancePath: instancePath + "/subject/artifactType", schemaPath: "descriptor.schema.json/properties/artifactType/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                        return false;
                                      }
                                      var valid17 = _errs101 === errors;
                                    } else {
                                      var valid17 = true;
                                    }
                                    if (valid17) {
                                      if (data40.platform !== void 0) {
                                        let data49 = data40.platform;
                                        const _errs103 = errors;
                                        if (errors === _errs103) {
                                          if (data49 && typeof data49 == "object" && !Array.isArray(data49)) {
                                            let missing6;
                                            if (data49.architecture === void 0 && (missing6 = "architecture") || data49.os === void 0 && (missing6 = "os")) {
                                              validate11.errors = [{ instancePath: instancePath + "/subject/platform", schemaPath: "descriptor.schema.json/properties/platform/required", keyword: "required", params: { missingProperty: missing6 }, message: "must have required property '" + missing6 + "'" }];
                                              return false;
                                            } else {
                                              if (data49.architecture !== void 0) {
                                                let data50 = data49.architecture;
                                                const _errs105 = errors;
                                                if (errors === _errs105) {
                                                  if (typeof data50 === "string") {
                                                    if (func2(data50) < 1) {
                                                      validate11.errors = [{ instancePath: instancePath + "/subject/platform/architecture", schemaPath: "descriptor.schema.json/properties/platform/properties/architecture/minLength", keyword: "minLength", params: { limit: 1 }, message: "must NOT have fewer than 1 characters" }];
                                                      return false;
                                                    }
                                                  } else {
                                                    validate11.errors = [{ instancePath: instancePath + "/subject/platform/architecture", schemaPath: "descriptor.schema.json/properties/platform/properties/architecture/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                                    return false;
                                                  }
                                                }
                                                var valid20 = _errs105 === errors;
                                              } else {
                                                var valid20 = true;
                                              }
                                              if (valid20) {
                                                if (data49.os !== void 0) {
                                                  let data51 = data49.os;
                                                  const _errs107 = errors;
                                                  if (errors === _errs107) {
                                                    if (typeof data51 === "string") {
                                                      if (func2(data51) < 1) {
                                                        validate11.errors = [{ instancePath: instancePath + "/subject/platform/os", schemaPath: "descriptor.schema.json/properties/platform/properties/os/minLength", keyword: "minLength", params: { limit: 1 }, message: "must NOT have fewer than 1 characters" }];
                                                        return false;
                                                      }
                                                    } else {
                                                      validate11.errors = [{ instancePath: instancePath + "/subject/platform/os", schemaPath: "descriptor.schema.json/properties/platform/properties/os/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                                      return false;
                                                    }
                                                  }
                                                  var valid20 = _errs107 === errors;
                                                } else {
                                                  var valid20 = true;
                                                }
                                                if (valid20) {
                                                  if (data49["os.version"] !== void 0) {
                                                    const _errs109 = errors;
                                                    if (typeof data49["os.version"] !== "string") {
                                                      validate11.errors = [{ instancePath: instancePath + "/subject/platform/os.version", schemaPath: "descriptor.schema.json/properties/platform/properties/os.version/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                                      return false;
                                                    }
                                                    var valid20 = _errs109 === errors;
                                                  } else {
                                                    var valid20 = true;
                                                  }
                                                  if (valid20) {
                                                    if (data49["os.features"] !== void 0) {
                                                      let data53 = data49["os.features"];
                                                      const _errs111 = errors;
                                                      if (errors === _errs111) {
                                                        if (Array.isArray(data53)) {
                                                          var valid21 = true;
                                                          const len8 = data53.length;
                                                          for (let i8 = 0; i8 < len8; i8++) {
                                                            const _errs113 = errors;
                                                            if (typeof data53[i8] !== "string") {
                                                              validate11.errors = [{ instancePath: instancePath + "/subject/platform/os.features/" + i8, schemaPath: "descriptor.schema.json/properties/platform/properties/os.features/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                                              return false;
                                                            }
                                                            var valid21 = _errs113 === errors;
                                                            if (!valid21) {
                                                              break;
                                                            }
                                                          }
                                                        } else {
                                                          validate11.errors = [{ instancePath: instancePath + "/subject/platform/os.features", schemaPath: "descriptor.schema.json/properties/platform/properties/os.features/type", keyword: "type", params: { type: "array" }, message: "must be array" }];
                                                          return false;
                                                        }
                                                      }
                                                      var valid20 = _errs111 === errors;
                                                    } else {
                                                      var valid20 = true;
                                                    }
                                                    if (valid20) {
                                                      if (data49.variant !== void 0) {
                                                        const _errs115 = errors;
                                                        if (typeof data49.variant !== "string") {
                                                          validate11.errors = [{ instancePath: instancePath + "/subject/platform/variant", schemaPath: "descriptor.schema.json/properties/platform/properties/variant/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                                          return false;
                                                        }
                                                        var valid20 = _errs115 === errors;
                                                      } else {
                                                        var valid20 = true;
                                                      }
                                                      if (valid20) {
                                                        if (data49.features !== void 0) {
                                                          let data56 = data49.features;
                                                          const _errs117 = errors;
                                                          if (errors === _errs117) {
                                                            if (Array.isArray(data56)) {
                                                              var valid22 = true;
                                                              const len9 = data56.length;
                                                              for (let i9 = 0; i9 < len9; i9++) {
                                                                const _errs119 = errors;
                                                                if (typeof data56[i9] !== "string") {
                                                                  validate11.errors = [{ instancePath: instancePath + "/subject/platform/features/" + i9, schemaPath: "descriptor.schema.json/properties/platform/properties/features/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                                                  return false;
                                                                }
                                                                var valid22 = _errs119 === errors;
                                                                if (!valid22) {
                                                                  break;
                                                                }
                                                              }
                                                            } else {
                                                              validate11.errors = [{ instancePath: instancePath + "/subject/platform/features", schemaPath: "descriptor.schema.json/properties/platform/properties/features/type", keyword: "type", params: { type: "array" }, message: "must be array" }];
                                                              return false;
                                                            }
                                                          }
                                                          var valid20 = _errs117 === errors;
                                                        } else {
                                                          var valid20 = true;
                                                        }
                                                      }
                                                    }
                                                  }
                                                }
                                              }
                                            }
                                          } else {
                                            validate11.errors = [{ instancePath: instancePath + "/subject/platform", schemaPath: "descriptor.schema.json/properties/platform/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
                                            return false;
                                          }
                                        }
                                        var valid17 = _errs103 === errors;
                                      } else {
                                        var valid17 = true;
                                      }
                                    }
                                  }
                                }
                              }
                            }
                          }
                        }
                      } else {
                        validate11.errors = [{ instancePath: instancePath + "/subject", schemaPath: "descriptor.schema.json/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
                        return false;
                      }
                    }
                    var valid0 = _errs83 === errors;
                  } else {
                    var valid0 = true;
                  }
                  if (valid0) {
                    if (data.annotations !== void 0) {
                      let data58 = data.annotations;
                      const _errs121 = errors;
                      if (errors === _errs121) {
                        if (data58 && typeof data58 == "object" && !Array.isArray(data58)) {
                          for (const key3 in data58) {
                            const _errs124 = errors;
                            if (typeof data58[key3] !== "string") {
                              validate11.errors = [{ instancePath: instancePath + "/annotations/" + key3.replace(/~/g, "~0").replace(/\//g, "~1"), schemaPath: "#/properties/annotations/additionalProperties/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                              return false;
                            }
                            var valid23 = _errs124 === errors;
                            if (!valid23) {
                              break;
                            }
                          }
                        } else {
                          validate11.errors = [{ instancePath: instancePath + "/annotations", schemaPath: "#/properties/annotations/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
                          return false;
                        }
                      }
                      var valid0 = _errs121 === errors;
                    } else {
                      var valid0 = true;
                    }
                  }
                }
              }
            }
          }
        }
      }
    } else {
      validate11.errors = [{ instancePath, schemaPath: "#/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
      return false;
    }
  }
  validate11.errors = vErrors;
  return errors === 0;
}
exports.index = validate12;
var schema16 = { "$id": "https://burrow.dev/schemas/index.schema.json", "title": "Image index (OCI image index v1 or Docker manifest list v2)", "type": "object", "required": ["schemaVersion", "manifests"], "properties": { "schemaVersion": { "const": 2 }, "mediaType": { "enum": ["application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"] }, "manifests": { "type": "array", "items": { "$ref": "descriptor.schema.json" } }, "annotations": { "type": "object", "additionalProperties": { "type": "string" } } } };
function validate12(data, { instancePath = "", parentData, parentDataProperty, rootData = data } = {}) {
  ;
  let vErrors = null;
  let errors = 0;
  if (errors === 0) {
    if (data && typeof data == "object" && !Array.isArray(data)) {
      let missing0;
      if (data.schemaVersion === void 0 && (missing0 = "schemaVersion") || data.manifests === void 0 && (missing0 = "manifests")) {
        validate12.errors = [{ instancePath, schemaPath: "#/required", keyword: "required", params: { missingProperty: missing0 }, message: "must have required property '" + missing0 + "'" }];
        return false;
      } else {
        if (data.schemaVersion !== void 0) {
          const _errs1 = errors;
          if (2 !== data.schemaVersion) {
            validate12.errors = [{ instancePath: instancePath + "/schemaVersion", schemaPath: "#/properties/schemaVersion/const", keyword: "const", params: { allowedValue: 2 }, message: "must be equal to constant" }];
            return false;
          }
          var valid0 = _errs1 === errors;
        } else {
          var valid0 = true;
        }
        if (valid0) {
          if (data.mediaType !== void 0) {
            let data1 = data.mediaType;
            const _errs2 = errors;
            if (!(data1 === "application/vnd.oci.image.index.v1+json" || data1 === "application/vnd.docker.distribution.manifest.list.v2+json")) {
              validate12.errors = [{ instancePath: instancePath + "/mediaType", schemaPath: "#/properties/mediaType/enum", keyword: "enum", params: { allowedValues: schema16.properties.mediaType.enum }, message: "must be equal to one of the allowed values" }];
              return false;
            }
            var valid0 = _errs2 === errors;
          } else {
            var valid0 = true;
          }
          if (valid0) {
            if (data.manifests !== void 0) {
              let data2 = data.manifests;
              const _errs3 = errors;
              if (errors === _errs3) {
                if (Array.isArray(data2)) {
                  var valid1 = true;
                  const len0 = data2.length;
                  for (let i0 = 0; i0 < len0; i0++) {
                    let data3 = data2[i0];
                    const _errs5 = errors;
                    const _errs6 = errors;
                    if (errors === _errs6) {
                      if (data3 && typeof data3 == "object" && !Array.isArray(data3)) {
                        let missing1;
                        if (data3.mediaType === void 0 && (missing1 = "mediaType") || data3.digest === void 0 && (missing1 = "digest") || data3.size === void 0 && (missing1 = "size")) {
                          validate12.errors = [{ instancePath: instancePath + "/manifests/" + i0, schemaPath: "descriptor.schema.json/required", keyword: "required", params: { missingProperty: missing1 }, message: "must have required property '" + missing1 + "'" }];
                          return false;
                        } else {
                          if (data3.mediaType !== void 0) {
                            let data4 = data3.mediaType;
                            const _errs8 = errors;
                            if (errors === _errs8) {
                              if (typeof data4 === "string") {
                                if (!pattern0.test(data4)) {
                                  validate12.errors = [{ instancePath: instancePath + "/manifests/" + i0 + "/mediaType", schemaPath: "descriptor.schema.json/properties/mediaType/pattern", keyword: "pattern", params: { pattern: "^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$" }, message: 'must match pattern "^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$"' }];
                                  return false;
                                }
                              } else {
                                validate12.errors = [{ instancePath: instancePath + "/manifests/" + i0 + "/mediaType", schemaPath: "descriptor.schema.json/properties/mediaType/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                return false;
                              }
                            }
                            var valid3 = _errs8 === errors;
                          } else {
                            var valid3 = true;
                          }
                          if (valid3) {
                            if (data3.digest !== void 0) {
                              let data5 = data3.digest;
                              const _errs10 = errors;
                              if (errors === _errs10) {
                                if (typeof data5 === "string") {
                                  if (!pattern1.test(data5)) {
                                    validate12.errors = [{ instancePath: instancePath + "/manifests/" + i0 + "/digest", schemaPath: "descriptor.schema.json/properties/digest/pattern", keyword: "pattern", params: { pattern: "^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$" }, message: 'must match pattern "^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$"' }];
                                    return false;
                                  }
                                } else {
                                  validate12.errors = [{ instancePath: instancePath + "/manifests/" + i0 + "/digest", schemaPath: "descriptor.schema.json/properties/digest/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                  return false;
                                }
                              }
                              var valid3 = _errs10 === errors;
                            } else {
                              var valid3 = true;
                            }
                            if (valid3) {
                              if (data3.size !== void 0) {
                                let data6 = data3.size;
                                const _errs12 = errors;
                                if (!(typeof data6 == "number" && (!(data6 % 1) && !isNaN(data6)))) {
                                  validate12.errors = [{ instancePath: instancePath + "/manifests/" + i0 + "/size", schemaPath: "descriptor.schema.json/properties/size/type", keyword: "type", params: { type: "integer" }, message: "must be integer" }];
                                  return false;
                                }
                                if (errors === _errs12) {
                                  if (typeof data6 == "number") {
                                    if (data6 < 0 || isNaN(data6)) {
                                      validate12.errors = [{ instancePath: instancePath + "/manifests/" + i0 + "/size", schemaPath: "descriptor.schema.json/properties/size/minimum", keyword: "minimum", params: { comparison: ">=", limit: 0 }, message: "must be >= 0" }];
                                      return false;
                                    }
                                  }
                                }
                                var valid3 = _errs12 === errors;
                              } else {
                                var valid3 = true;
                              }
                              if (valid3) {
                                if (data3.urls !== void 0) {
                                  let data7 = data3.urls;
                                  const _errs14 = errors;
                                  if (errors === _errs14) {
                                    if (Array.isArray(data7)) {
                                      var valid4 = true;
                                      const len1 = data7.length;
                                      for (let i1 = 0; i1 < len1; i1++) {
                                        const _errs16 = errors;
                                        if (typeof data7[i1] !== "string") {
                                          validate12.errors = [{ instancePath: instancePath + "/manifests/" + i0 + "/urls/" + i1, schemaPath: "descriptor.schema.json/properties/urls/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                          return false;
                                        }
                                        var valid4 = _errs16 === errors;
                                        if (!valid4) {
                                          break;
                                        }
                                      }
                                    } else {
                                      validate12.errors = [{ instancePath: instancePath + "/manifests/" + i0 + "/urls", schemaPath: "descriptor.schema.json/properties/urls/type", keyword: "type", params: { type: "array" }, message: "must be array" }];
                                      return false;
                                    }
                                  }
                                  var valid3 = _errs14 === errors;
                                } else {
                                  var valid3 = true;
                                }
                                if (valid3) {
                                  if (data3.annotations !== void 0) {
                                    let data9 = data3.annotations;
                                    const _errs18 = errors;
                                    if (errors === _errs18) {
                                      if (data9 && typeof data9 == "object" && !Array.isArray(data9)) {
                                        for (const key0 in data9) {
                                          const _errs21 = errors;
                                          if (typeof data9[key0] !== "string") {
                                            validate12.errors = [{ instancePath: instancePath + "/manifests/" + i0 + "/annotations/" + key0.replace(/~/g, "~0").replace(/\//g, "~1"), schemaPath: "descriptor.schema.json/properties/annotations/additionalProperties/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                            return false;
                                          }
                                          var valid5 = _errs21 === errors;
                                          if (!valid5) {
                                            break;
                                          }
                                        }
                                      } else {
                                        validate12.errors = [{ instancePath: instancePath + "/manifests/" + i0 + "/annotations", schemaPath: "descriptor.schema.json/properties/annotations/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
                                        return false;
                                      }
                                    }
                                    var valid3 = _errs18 === errors;
                                  } else {
                                    var valid3 = true;
                                  }
                                  if (valid3) {
                                    if (data3.artifactType !== void 0) {
                                      const _errs23 = errors;
                                      if (typeof data3.artifactType !== "string") {
                                        validate12.errors = [{ instancePath: instancePath + "/manifests/" + i0 + "/artifactType", schemaPath: "descriptor.schema.json/properties/artifactType/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                        return false;
                                      }
                                      var valid3 = _errs23 === errors;
                                    } else {
                                      var valid3 = true;
                                    }
                                    if (valid3) {
                                      if (data3.platform !== void 0) {
                                        let data12 = data3.platform;
                                        const _errs25 = errors;
                                        if (errors === _errs25) {
                                          if (data12 && typeof data12 == "object" && !Array.isArray(data12)) {
                                            let missing2;
                                            if (data12.architecture === void 0 && (missing2 = "architecture") || data12.os === void 0 && (missing2 = "os")) {
                                              validate12.errors = [{ instancePath: instancePath + "/manifests/" + i0 + "/platform", schemaPath: "descriptor.schema.json/properties/platform/required", keyword: "required", params: { missingProperty: missing2 }, message: "must have required property '" + missing2 + "'" }];
                                              return false;
                                            } else {
                                              if (data12.architecture !== void 0) {
                                                let data13 = data12.architecture;
                                                const _errs27 = errors;
                                                if (errors === _errs27) {
                                                  if (typeof data13 === "string") {
                                                    if (func2(data13) < 1) {
                                                      validate12.errors = [{ instancePath: instancePath + "/manifests/" + i0 + "/platform/architecture", schemaPath: "descriptor.schema.json/properties/platform/properties/architecture/minLength", keyword: "minLength", params: { limit: 1 }, message: "must NOT have fewer than 1 characters" }];
                                                      return false;
                                                    }
                                                  } else {
                                                    validate12.errors = [{ instancePath: instancePath + "/manifests/" + i0 + "/platform/architecture", schemaPath: "descriptor.schema.json/properties/platform/properties/architecture/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                                    return false;
                                                  }
                                                }
                                                var valid6 = _errs27 === errors;
                                              } else {
                                                var valid6 = true;
                                              }
                                              if (valid6) {
                                                if (data12.os !== void 0) {
                                                  let data14 = data12.os;
                                                  const _errs29 = errors;
                                                  if (errors === _errs29) {
                                                    if (typeof data14 === "string") {
                                                      if (func2(data14) < 1) {
                                                        validate12.errors = [{ instancePath: instancePath + "/manifests/" + i0 + "/platform/os", schemaPath: "descriptor.schema.json/properties/platform/properties/os/minLength", keyword: "minLength", params: { limit: 1 }, message: "must NOT have fewer than 1 characters" }];
                                                        return false;
                                                      }
                                                    } else {
                                                      validate12.errors = [{ instancePath: instancePath + "/manifests/" + i0 + "/platform/os", schemaPath: "descriptor.schema.json/properties/platform/properties/os/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                                      return false;
                                                    }
                                                  }
                                                  var valid6 = _errs29 === errors;
                                                } else {
                                                  var valid6 = true;
                                                }
                                                if (valid6) {
                                                  if (data12["os.version"] !== void 0) {
                                                    const _errs31 = errors;
                                                    if (typeof data12["os.version"] !== "string") {
                                                      validate12.errors = [{ instancePath: instancePath + "/manifests/" + i0 + "/platform/os.version", schemaPath: "descriptor.schema.json/properties/platform/properties/os.version/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                                      return false;
                                                    }
                                                    var valid6 = _errs31 === errors;
                                                  } else {
                                                    var valid6 = true;
                                                  }
                                                  if (valid6) {
                                                    if (data12["os.features"] !== void 0) {
                                                      let data16 = data12["os.features"];
                                                      const _errs33 = errors;
                                                      if (errors === _errs33) {
                                                        if (Array.isArray(data16)) {
                                                          var valid7 = true;
                                                          const len2 = data16.length;
                                                          for (let i2 = 0; i2 < len2; i2++) {
                                                            const _errs35 = errors;
                                                            if (typeof data16[i2] !== "string") {
                                                              validate12.errors = [{ instancePath: instancePath + "/manifests/" + i0 + "/platform/os.features/" + i2, schemaPath: "descriptor.schema.json/properties/platform/properties/os.features/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                                              return false;
                                                            }
                                                            var valid7 = _errs35 === errors;
                                                            if (!valid7) {
                                                              break;
                                                            }
                                                          }
                                                        } else {
                                                          validate12.errors = [{ instancePath: instancePath + "/manifests/" + i0 + "/platform/os.features", schemaPath: "descriptor.schema.json/properties/platform/properties/os.features/type", keyword: "type", params: { type: "array" }, message: "must be array" }];
                                                          return false;
                                                        }
                                                      }
                                                      var valid6 = _errs33 === errors;
                                                    } else {
                                                      var valid6 = true;
                                                    }
                                                    if (valid6) {
                                                      if (data12.variant !== void 0) {
                                                        const _errs37 = errors;
                                                        if (typeof data12.variant !== "string") {
                                                          validate12.errors = [{ instancePath: instancePath + "/manifests/" + i0 + "/platform/variant", schemaPath: "descriptor.schema.json/properties/platform/properties/variant/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                                          return false;
                                                        }
                                                        var valid6 = _errs37 === errors;
                                                      } else {
                                                        var valid6 = true;
                                                      }
                                                      if (valid6) {
                                                        if (data12.features !== void 0) {
                                                          let data19 = data12.features;
                                                          const _errs39 = errors;
                                                          if (errors === _errs39) {
                                                            if (Array.isArray(data19)) {
                                                              var valid8 = true;
                                                              const len3 = data19.length;
                                                              for (let i3 = 0; i3 < len3; i3++) {
                                                                const _errs41 = errors;
                                                                if (typeof data19[i3] !== "string") {
                                                                  validate12.errors = [{ instancePath: instancePath + "/manifests/" + i0 + "/platform/features/" + i3, schemaPath: "descriptor.schema.json/properties/platform/properties/features/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                                                  return false;
                                                                }
                                                                var valid8 = _errs41 === errors;
                                                                if (!valid8) {
                                                                  break;
                                                                }
                                                              }
                                                            } else {
                                                              validate12.errors = [{ instancePath: instancePath + "/manifests/" + i0 + "/platform/features", schemaPath: "descriptor.schema.json/properties/platform/properties/features/type", keyword: "type", params: { type: "array" }, message: "must be array" }];
                                                              return false;
                                                            }
                                                          }
                                                          var valid6 = _errs39 === errors;
                                                        } else {
                                                          var valid6 = true;
                                                        }
                                                      }
                                                    }
                                                  }
                                                }
                                              }
                                            }
                                          } else {
                                            validate12.errors = [{ instancePath: instancePath + "/manifests/" + i0 + "/platform", schemaPath: "descriptor.schema.json/properties/platform/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
                                            return false;
                                          }
                                        }
                                        var valid3 = _errs25 === errors;
                                      } else {
                                        var valid3 = true;
                                      }
                                    }
                                  }
                                }
                              }
                            }
                          }
                        }
                      } else {
                        validate12.errors = [{ instancePath: instancePath + "/manifests/" + i0, schemaPath: "descriptor.schema.json/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
                        return false;
                      }
                    }
                    var valid1 = _errs5 === errors;
                    if (!valid1) {
                      break;
                    }
                  }
                } else {
                  validate12.errors = [{ instancePath: instancePath + "/manifests", schemaPath: "#/properties/manifests/type", keyword: "type", params: { type: "array" }, message: "must be array" }];
                  return false;
                }
              }
              var valid0 = _errs3 === errors;
            } else {
              var valid0 = true;
            }
            if (valid0) {
              if (data.annotations !== void 0) {
                let data21 = data.annotations;
                const _errs43 = errors;
                if (errors === _errs43) {
                  if (data21 && typeof data21 == "object" && !Array.isArray(data21)) {
                    for (const key1 in data21) {
                      const _errs46 = errors;
                      if (typeof data21[key1] !== "string") {
                        validate12.errors = [{ instancePath: instancePath + "/annotations/" + key1.replace(/~/g, "~0").replace(/\//g, "~1"), schemaPath: "#/properties/annotations/additionalProperties/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                        return false;
                      }
                      var valid9 = _errs46 === errors;
                      if (!valid9) {
                        break;
                      }
                    }
                  } else {
                    validate12.errors = [{ instancePath: instancePath + "/annotations", schemaPath: "#/properties/annotations/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
                    return false;
                  }
                }
                var valid0 = _errs43 === errors;
              } else {
                var valid0 = true;
              }
            }
          }
        }
      }
    } else {
      validate12.errors = [{ instancePath, schemaPath: "#/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
      return false;
    }
  }
  validate12.errors = vErrors;
  return errors === 0;
}
exports.config = validate13;
var schema18 = { "$id": "https://burrow.dev/schemas/config.schema.json", "title": "Image configuration (OCI image config / Docker container image v1)", "type": "object", "required": ["architecture", "os", "rootfs"], "properties": { "created": { "type": "string" }, "author": { "type": "string" }, "architecture": { "type": "string", "minLength": 1 }, "variant": { "type": "string" }, "os": { "type": "string", "minLength": 1 }, "config": { "type": ["object", "null"], "properties": { "User": { "type": "string" }, "ExposedPorts": { "type": ["object", "null"] }, "Env": { "type": ["array", "null"], "items": { "type": "string" } }, "Entrypoint": { "type": ["array", "null"], "items": { "type": "string" } }, "Cmd": { "type": ["array", "null"], "items": { "type": "string" } }, "Volumes": { "type": ["object", "null"] }, "WorkingDir": { "type": "string" }, "Labels": { "type": ["object", "null"], "additionalProperties": { "type": "string" } }, "StopSignal": { "type": "string" } } }, "rootfs": { "type": "object", "required": ["type", "diff_ids"], "properties": { "type": { "const": "layers" }, "diff_ids": { "type": "array", "items": { "type": "string", "pattern": "^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$" } } } }, "history": { "type": "array", "items": { "type": "object" } } } };
function validate13(data, { instancePath = "", parentData, parentDataProperty, rootData = data } = {}) {
  ;
  let vErrors = null;
  let errors = 0;
  if (errors === 0) {
    if (data && typeof data == "object" && !Array.isArray(data)) {
      let missing0;
      if (data.architecture === void 0 && (missing0 = "architecture") || data.os === void 0 && (missing0 = "os") || data.rootfs === void 0 && (missing0 = "rootfs")) {
        validate13.errors = [{ instancePath, schemaPath: "#/required", keyword: "required", params: { missingProperty: missing0 }, message: "must have required property '" + missing0 + "'" }];
        return false;
      } else {
        if (data.created !== void 0) {
          const _errs1 = errors;
          if (typeof data.created !== "string") {
            validate13.errors = [{ instancePath: instancePath + "/created", schemaPath: "#/properties/created/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
            return false;
          }
          var valid0 = _errs1 === errors;
        } else {
          var valid0 = true;
        }
        if (valid0) {
          if (data.author !== void 0) {
            const _errs3 = errors;
            if (typeof data.author !== "string") {
              validate13.errors = [{ instancePath: instancePath + "/author", schemaPath: "#/properties/author/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
              return false;
            }
            var valid0 = _errs3 === errors;
          } else {
            var valid0 = true;
          }
          if (valid0) {
            if (data.architecture !== void 0) {
              let data2 = data.architecture;
              const _errs5 = errors;
              if (errors === _errs5) {
                if (typeof data2 === "string") {
                  if (func2(data2) < 1) {
                    validate13.errors = [{ instancePath: instancePath + "/architecture", schemaPath: "#/properties/architecture/minLength", keyword: "minLength", params: { limit: 1 }, message: "must NOT have fewer than 1 characters" }];
                    return false;
                  }
                } else {
                  validate13.errors = [{ instancePath: instancePath + "/architecture", schemaPath: "#/properties/architecture/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                  return false;
                }
              }
              var valid0 = _errs5 === errors;
            } else {
              var valid0 = true;
            }
            if (valid0) {
              if (data.variant !== void 0) {
                const _errs7 = errors;
                if (typeof data.variant !== "string") {
                  validate13.errors = [{ instancePath: instancePath + "/variant", schemaPath: "#/properties/variant/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                  return false;
                }
                var valid0 = _errs7 === errors;
              } else {
                var valid0 = true;
              }
              if (valid0) {
                if (data.os !== void 0) {
                  let data4 = data.os;
                  const _errs9 = errors;
                  if (errors === _errs9) {
                    if (typeof data4 === "string") {
                      if (func2(data4) < 1) {
                        validate13.errors = [{ instancePath: instancePath + "/os", schemaPath: "#/properties/os/minLength", keyword: "minLength", params: { limit: 1 }, message: "must NOT have fewer than 1 characters" }];
                        return false;
                      }
                    } else {
                      validate13.errors = [{ instancePath: instancePath + "/os", schemaPath: "#/properties/os/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                      return false;
                    }
                  }
                  var valid0 = _errs9 === errors;
                } else {
                  var valid0 = true;
                }
                if (valid0) {
                  if (data.config !== void 0) {
                    let data5 = data.config;
                    const _errs11 = errors;
                    if (!(data5 && typeof data5 == "object" && !Array.isArray(data5)) && data5 !== null) {
                      validate13.errors = [{ instancePath: instancePath + "/config", schemaPath: "#/properties/config/type", keyword: "type", params: { type: schema18.properties.config.type }, message: "must be object,null" }];
                      return false;
                    }
                    if (errors === _errs11) {
                      if (data5 && typeof data5 == "object" && !Array.isArray(data5)) {
                        if (data5.User !== void 0) {
                          const _errs13 = errors;
                          if (typeof data5.User !== "string") {
                            validate13.errors = [{ instancePath: instancePath + "/config/User", schemaPath: "#/properties/config/properties/User/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                            return false;
                          }
                          var valid1 = _errs13 === errors;
                        } else {
                          var valid1 = true;
                        }
                        if (valid1) {
                          if (data5.ExposedPorts !== void 0) {
                            let data7 = data5.ExposedPorts;
                            const _errs15 = errors;
                            if (!(data7 && typeof data7 == "object" && !Array.isArray(data7)) && data7 !== null) {
                              validate13.errors = [{ instancePath: instancePath + "/config/ExposedPorts", schemaPath: "#/properties/config/properties/ExposedPorts/type", keyword: "type", params: { type: schema18.properties.config.properties.ExposedPorts.type }, message: "must be object,null" }];
                              return false;
                            }
                            var valid1 = _errs15 === errors;
                          } else {
                            var valid1 = true;
                          }
                          if (valid1) {
                            if (data5.Env !== void 0) {
                              let data8 = data5.Env;
                              const _errs17 = errors;
                              if (!Array.isArray(data8) && data8 !== null) {
                                validate13.errors = [{ instancePath: instancePath + "/config/Env", schemaPath: "#/properties/config/properties/Env/type", keyword: "type", params: { type: schema18.properties.config.properties.Env.type }, message: "must be array,null" }];
                                return false;
                              }
                              if (errors === _errs17) {
                                if (Array.isArray(data8)) {
                                  var valid2 = true;
                                  const len0 = data8.length;
                                  for (let i0 = 0; i0 < len0; i0++) {
                                    const _errs19 = errors;
                                    if (typeof data8[i0] !== "string") {
                                      validate13.errors = [{ instancePath: instancePath + "/config/Env/" + i0, schemaPath: "#/properties/config/properties/Env/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                      return false;
                                    }
                                    var valid2 = _errs19 === errors;
                                    if (!valid2) {
                                      break;
                                    }
                                  }
                                }
                              }
                              var valid1 = _errs17 === errors;
                            } else {
                              var valid1 = true;
                            }
                            if (valid1) {
                              if (data5.Entrypoint !== void 0) {
                                let data10 = data5.Entrypoint;
                                const _errs21 = errors;
                                if (!Array.isArray(data10) && data10 !== null) {
                                  validate13.errors = [{ instancePath: instancePath + "/config/Entrypoint", schemaPath: "#/properties/config/properties/Entrypoint/type", keyword: "type", params: { type: schema18.properties.config.properties.Entrypoint.type }, message: "must be array,null" }];
                                  return false;
                                }
                                if (errors === _errs21) {
                                  if (Array.isArray(data10)) {
                                    var valid3 = true;
                                    const len1 = data10.length;
                                    for (let i1 = 0; i1 < len1; i1++) {
                                      const _errs23 = errors;
                                      if (typeof data10[i1] !== "string") {
                                        validate13.errors = [{ instancePath: instancePath + "/config/Entrypoint/" + i1, schemaPath: "#/properties/config/properties/Entrypoint/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                        return false;
                                      }
                                      var valid3 = _errs23 === errors;
                                      if (!valid3) {
                                        break;
                                      }
                                    }
                                  }
                                }
                                var valid1 = _errs21 === errors;
                              } else {
                                var valid1 = true;
                              }
                              if (valid1) {
                                if (data5.Cmd !== void 0) {
                                  let data12 = data5.Cmd;
                                  const _errs25 = errors;
                                  if (!Array.isArray(data12) && data12 !== null) {
                                    validate13.errors = [{ instancePath: instancePath + "/config/Cmd", schemaPath: "#/properties/config/properties/Cmd/type", keyword: "type", params: { type: schema18.properties.config.properties.Cmd.type }, message: "must be array,null" }];
                                    return false;
                                  }
                                  if (errors === _errs25) {
                                    if (Array.isArray(data12)) {
                                      var valid4 = true;
                                      const len2 = data12.length;
                                      for (let i2 = 0; i2 < len2; i2++) {
                                        const _errs27 = errors;
                                        if (typeof data12[i2] !== "string") {
                                          validate13.errors = [{ instancePath: instancePath + "/config/Cmd/" + i2, schemaPath: "#/properties/config/properties/Cmd/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                          return false;
                                        }
                                        var valid4 = _errs27 === errors;
                                        if (!valid4) {
                                          break;
                                        }
                                      }
                                    }
                                  }
                                  var valid1 = _errs25 === errors;
                                } else {
                                  var valid1 = true;
                                }
                                if (valid1) {
                                  if (data5.Volumes !== void 0) {
                                    let data14 = data5.Volumes;
                                    const _errs29 = errors;
                                    if (!(data14 && typeof data14 == "object" && !Array.isArray(data14)) && data14 !== null) {
                                      validate13.errors = [{ instancePath: instancePath + "/config/Volumes", schemaPath: "#/properties/config/properties/Volumes/type", keyword: "type", params: { type: schema18.properties.config.properties.Volumes.type }, message: "must be object,null" }];
                                      return false;
                                    }
                                    var valid1 = _errs29 === errors;
                                  } else {
                                    var valid1 = true;
                                  }
                                  if (valid1) {
                                    if (data5.WorkingDir !== void 0) {
                                      const _errs31 = errors;
                                      if (typeof data5.WorkingDir !== "string") {
                                        validate13.errors = [{ instancePath: instancePath + "/config/WorkingDir", schemaPath: "#/properties/config/properties/WorkingDir/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                        return false;
                                      }
                                      var valid1 = _errs31 === errors;
                                    } else {
                                      var valid1 = true;
                                    }
                                    if (valid1) {
                                      if (data5.Labels !== void 0) {
                                        let data16 = data5.Labels;
                                        const _errs33 = errors;
                                        if (!(data16 && typeof data16 == "object" && !Array.isArray(data16)) && data16 !== null) {
                                          validate13.errors = [{ instancePath: instancePath + "/config/Labels", schemaPath: "#/properties/config/properties/Labels/type", keyword: "type", params: { type: schema18.properties.config.properties.Labels.type }, message: "must be object,null" }];
                                          return false;
                                        }
                                        if (errors === _errs33) {
                                          if (data16 && typeof data16 == "object" && !Array.isArray(data16)) {
                                            for (const key0 in data16) {
                                              const _errs36 = errors;
                                              if (typeof data16[key0] !== "string") {
                                                validate13.errors = [{ instancePath: instancePath + "/config/Labels/" + key0.replace(/~/g, "~0").replace(/\//g, "~1"), schemaPath: "#/properties/config/properties/Labels/additionalProperties/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                                return false;
                                              }
                                              var valid5 = _errs36 === errors;
                                              if (!valid5) {
                                                break;
                                              }
                                            }
                                          }
                                        }
                                        var valid1 = _errs33 === errors;
                                      } else {
                                        var valid1 = true;
                                      }
                                      if (valid1) {
                                        if (data5.StopSignal !== void 0) {
                                          const _errs38 = errors;
                                          if (typeof data5.StopSignal !== "string") {
                                            validate13.errors = [{ instancePath: instancePath + "/config/StopSignal", schemaPath: "#/properties/config/properties/StopSignal/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                            return false;
                                          }
                                          var valid1 = _errs38 === errors;
                                        } else {
                                          var valid1 = true;
                                        }
                                      }
                                    }
                                  }
                                }
                              }
                            }
                          }
                        }
                      }
                    }
                    var valid0 = _errs11 === errors;
                  } else {
                    var valid0 = true;
                  }
                  if (valid0) {
                    if (data.rootfs !== void 0) {
                      let data19 = data.rootfs;
                      const _errs40 = errors;
                      if (errors === _errs40) {
                        if (data19 && typeof data19 == "object" && !Array.isArray(data19)) {
                          let missing1;
                          if (data19.type === void 0 && (missing1 = "type") || data19.diff_ids === void 0 && (missing1 = "diff_ids")) {
                            validate13.errors = [{ instancePath: instancePath + "/rootfs", schemaPath: "#/properties/rootfs/required", keyword: "required", params: { missingProperty: missing1 }, message: "must have required property '" + missing1 + "'" }];
                            return false;
                          } else {
                            if (data19.type !== void 0) {
                              const _errs42 = errors;
                              if ("layers" !== data19.type) {
                                validate13.errors = [{ instancePath: instancePath + "/rootfs/type", schemaPath: "#/properties/rootfs/properties/type/const", keyword: "const", params: { allowedValue: "layers" }, message: "must be equal to constant" }];
                                return false;
                              }
                              var valid6 = _errs42 === errors;
                            } else {
                              var valid6 = true;
                            }
                            if (valid6) {
                              if (data19.diff_ids !== void 0) {
                                let data21 = data19.diff_ids;
                                const _errs43 = errors;
                                if (errors === _errs43) {
                                  if (Array.isArray(data21)) {
                                    var valid7 = true;
                                    const len3 = data21.length;
                                    for (let i3 = 0; i3 < len3; i3++) {
                                      let data22 = data21[i3];
                                      const _errs45 = errors;
                                      if (errors === _errs45) {
                                        if (typeof data22 === "string") {
                                          if (!pattern1.test(data22)) {
                                            validate13.errors = [{ instancePath: instancePath + "/rootfs/diff_ids/" + i3, schemaPath: "#/properties/rootfs/properties/diff_ids/items/pattern", keyword: "pattern", params: { pattern: "^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$" }, message: 'must match pattern "^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$"' }];
                                            return false;
                                          }
                                        } else {
                                          validate13.errors = [{ instancePath: instancePath + "/rootfs/diff_ids/" + i3, schemaPath: "#/properties/rootfs/properties/diff_ids/items/type", keyword: "type", params: { type: "string" }, message: "must be string" }];
                                          return false;
                                        }
                                      }
                                      var valid7 = _errs45 === errors;
                                      if (!valid7) {
                                        break;
                                      }
                                    }
                                  } else {
                                    validate13.errors = [{ instancePath: instancePath + "/rootfs/diff_ids", schemaPath: "#/properties/rootfs/properties/diff_ids/type", keyword: "type", params: { type: "array" }, message: "must be array" }];
                                    return false;
                                  }
                                }
                                var valid6 = _errs43 === errors;
                              } else {
                                var valid6 = true;
                              }
                            }
                          }
                        } else {
                          validate13.errors = [{ instancePath: instancePath + "/rootfs", schemaPath: "#/properties/rootfs/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
                          return false;
                        }
                      }
                      var valid0 = _errs40 === errors;
                    } else {
                      var valid0 = true;
                    }
                    if (valid0) {
                      if (data.history !== void 0) {
                        let data23 = data.history;
                        const _errs47 = errors;
                        if (errors === _errs47) {
                          if (Array.isArray(data23)) {
                            var valid8 = true;
                            const len4 = data23.length;
                            for (let i4 = 0; i4 < len4; i4++) {
                              let data24 = data23[i4];
                              const _errs49 = errors;
                              if (!(data24 && typeof data24 == "object" && !Array.isArray(data24))) {
                                validate13.errors = [{ instancePath: instancePath + "/history/" + i4, schemaPath: "#/properties/history/items/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
                                return false;
                              }
                              var valid8 = _errs49 === errors;
                              if (!valid8) {
                                break;
                              }
                            }
                          } else {
                            validate13.errors = [{ instancePath: instancePath + "/history", schemaPath: "#/properties/history/type", keyword: "type", params: { type: "array" }, message: "must be array" }];
                            return false;
                          }
                        }
                        var valid0 = _errs47 === errors;
                      } else {
                        var valid0 = true;
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    } else {
      validate13.errors = [{ instancePath, schemaPath: "#/type", keyword: "type", params: { type: "object" }, message: "must be object" }];
      return false;
    }
  }
  validate13.errors = vErrors;
  return errors === 0;
}
