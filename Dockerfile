# Production image of OpenDSP: one build, run as platform web, platform worker, migration job or sandbox.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# dist is a link to the build under .dist/; the image gets the build itself.
RUN npm run build && cp -rL dist /tmp/dist

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /tmp/dist ./dist
USER node
EXPOSE 3000 3100
CMD ["node", "--enable-source-maps", "dist/apps/dsp/src/main.js"]
